"""Django admin for the conversation rows: comments and attachments, read-only (no service edits or deletes them)."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from tickets.admin.common import IdSearchMixin, ReadOnlyAdminMixin, pretty_json, ticket_link
from tickets.models import (
    Attachment,
    Comment,
)


@admin.register(Comment)
class CommentAdmin(IdSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "ticket_id_link",
        "created_at",
        "author",
        "author_role",
        "public",
        "via",
        "delivery_status",
        "excerpt",
    )
    list_filter = ("author_role", "public", "via", "delivery_status")
    list_select_related = ("author_user", "author_contact")
    search_fields = ("body", "channel_message_id__exact")
    id_search_fields = ("pk", "ticket_id")
    show_full_result_count = False
    ordering = ("-id",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "ticket",
                    "created_at",
                    "author_role",
                    "author_user",
                    "author_contact",
                    "public",
                    "via",
                    "message",
                    "in_reply_to",
                    "forwarded",
                )
            },
        ),
        (
            gettext_lazy("Channel"),
            {
                "fields": (
                    "channel_message_id",
                    "channel_sent_at",
                    "message_type",
                    "channel_data_pretty",
                    "template_pretty",
                )
            },
        ),
        (
            gettext_lazy("Delivery"),
            {
                "fields": (
                    "delivery_status",
                    "delivery_updated_at",
                    "delivery_error_code",
                    "delivery_error_title",
                    "delivery_error_detail",
                )
            },
        ),
    )
    readonly_fields = ("message", "channel_data_pretty", "template_pretty")

    @admin.display(description=gettext_lazy("ticket"), ordering="ticket_id")
    def ticket_id_link(self, obj: Comment) -> str:
        return ticket_link(obj.ticket_id)

    @admin.display(description=gettext_lazy("author"))
    def author(self, obj: Comment) -> str:
        return obj.author_name

    @admin.display(description=gettext_lazy("body"))
    def excerpt(self, obj: Comment) -> str:
        return Truncator(obj.body).chars(80)

    @admin.display(description=gettext_lazy("body"))
    def message(self, obj: Comment) -> str:
        return linebreaksbr(obj.body)

    @admin.display(description=gettext_lazy("channel data"))
    def channel_data_pretty(self, obj: Comment) -> str:
        return pretty_json(obj.channel_data)

    @admin.display(description=gettext_lazy("template"))
    def template_pretty(self, obj: Comment) -> str:
        return pretty_json(obj.template)


@admin.register(Attachment)
class AttachmentAdmin(IdSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Files are private: no link to the stored file here, only its description."""

    list_display = ("filename", "content_type", "size_display", "ticket_id_link", "comment_id", "created_at")
    list_filter = ("content_type",)
    search_fields = ("filename", "sha256__exact", "channel_media_id__exact")
    id_search_fields = ("pk", "ticket_id")
    show_full_result_count = False
    ordering = ("-id",)
    fields = (
        "ticket",
        "comment",
        "filename",
        "content_type",
        "size_display",
        "sha256",
        "channel_media_id",
        "created_at",
    )
    readonly_fields = ("size_display",)

    @admin.display(description=gettext_lazy("ticket"), ordering="ticket_id")
    def ticket_id_link(self, obj: Attachment) -> str:
        return ticket_link(obj.ticket_id)

    @admin.display(description=gettext_lazy("size"), ordering="size")
    def size_display(self, obj: Attachment) -> str:
        return filesizeformat(obj.size)
