"""Django admin for agent groups and their members."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from tickets.models import (
    Group,
)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "member_count", "created_at")
    search_fields = ("name",)
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("members", distinct=True))

    @admin.display(description=gettext_lazy("members"), ordering="member_count")
    def member_count(self, obj: Group) -> int:
        return obj.member_count
