"""Django admin for tickets and their tags.

Tickets are created and changed only through `tickets.services` (the add form calls `ticket_create`, the change form
and the tag inline call `ticket_update`, the actions call `ticket_update` per ticket), so admin edits are validated,
audited and seen by the change listeners like any other edit. The ticket page shows its conversation and audit log
read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db.models import Prefetch, QuerySet
from django.template.defaultfilters import linebreaksbr
from django.utils.translation import gettext, gettext_lazy, ngettext

from tickets import hooks, services
from tickets.admin.common import (
    IdSearchMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    ServiceErrorsAsMessagesMixin,
    adopt,
    compact_json,
    pretty_json,
    ticket_link,
)
from tickets.errors import DomainError
from tickets.models import (
    Comment,
    Event,
    Ticket,
    TicketStatus,
    TicketTag,
)
from tickets.tags import normalize_tags


class TicketTagForm(forms.ModelForm):
    class Meta:
        model = TicketTag
        fields = ("name",)

    def clean_name(self) -> str:
        try:
            tags = normalize_tags([self.cleaned_data["name"]])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        if len(tags) != 1:
            raise forms.ValidationError(gettext("One tag per row, without spaces."))
        return tags[0]


class TicketTagInline(admin.TabularInline):
    """Tags are edited here but saved by `ticket_update(changes={"tags": ...})` in `TicketAdmin.save_related`."""

    model = TicketTag
    form = TicketTagForm
    fields = ("name",)
    extra = 0
    verbose_name_plural = gettext_lazy("tags")

    def _editable(self, request, obj) -> bool:
        if obj is None:
            return request.user.has_perm("tickets.add_ticket")
        return request.user.has_perm("tickets.change_ticket") and not obj.is_closed

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("tickets.view_ticket") or request.user.has_perm("tickets.change_ticket")


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ("created_at", "author", "author_role", "public", "via", "message", "delivery_status")
    readonly_fields = fields
    ordering = ("created_at", "id")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author_user", "author_contact")

    @admin.display(description=gettext_lazy("author"))
    def author(self, obj: Comment) -> str:
        return obj.author_name

    @admin.display(description=gettext_lazy("message"))
    def message(self, obj: Comment) -> str:
        return linebreaksbr(obj.body)


class EventInline(ReadOnlyInline):
    model = Event
    fields = ("created_at", "type", "actor", "details")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = gettext_lazy("audit log")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=gettext_lazy("data"))
    def details(self, obj: Event) -> str:
        return compact_json(obj.data)


# The ticket's own fields on the add and the change page (the forms' fields and the fieldsets' first section).
# What a bulk status action reports, by the status it set (one sentence each, so each translates whole).
STATUS_CHANGED = {
    TicketStatus.SOLVED: lambda n: ngettext(
        "%(count)d ticket(s) marked solved.", "%(count)d ticket(s) marked solved.", n
    ),
    TicketStatus.OPEN: lambda n: ngettext("%(count)d ticket(s) marked open.", "%(count)d ticket(s) marked open.", n),
    TicketStatus.PENDING: lambda n: ngettext(
        "%(count)d ticket(s) marked pending.", "%(count)d ticket(s) marked pending.", n
    ),
}
ADD_FIELDS = ("requester", "subject", "via", "priority", "type", "group", "assignee")
CHANGE_FIELDS = ("subject", "status", "priority", "type", "group", "assignee")
# Shown on the change page, never edited there.
CHANNEL_FIELDS = ("requester", "via", "follow_up_of", "channel_state")
DATE_FIELDS = ("created_at", "updated_at", "status_changed_at", "solved_at", "last_customer_message_at")


class TicketAddForm(forms.ModelForm):
    first_comment = forms.CharField(
        label=gettext_lazy("First comment"), required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 80})
    )
    first_comment_public = forms.BooleanField(
        label=gettext_lazy("Public reply"),
        required=False,
        initial=True,
        help_text=gettext_lazy("Unticked, the first comment is an internal note."),
    )

    class Meta:
        model = Ticket
        fields = ADD_FIELDS


class TicketChangeForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = CHANGE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.status != TicketStatus.NEW:
            # A ticket never goes back to new (services refuse it); don't offer it.
            self.fields["status"].choices = [c for c in TicketStatus.choices if c[0] != TicketStatus.NEW]


@admin.register(Ticket)
class TicketAdmin(ServiceErrorsAsMessagesMixin, IdSearchMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "subject",
        "status",
        "priority",
        "type",
        "via",
        "requester",
        "assignee",
        "group",
        "tag_list",
        "updated_at",
    )
    list_display_links = ("id", "subject")
    # A date filter rather than date_hierarchy: the hierarchy runs a DISTINCT over every ticket on each page view.
    list_filter = ("status", "priority", "type", "via", "group", "assignee", "created_at")
    list_select_related = ("requester", "assignee", "group")
    list_per_page = 50
    search_fields = ("subject", "requester__name", "requester__email", "requester__wa_id")
    show_full_result_count = False  # no second COUNT(*) over the whole table on every page
    autocomplete_fields = ("requester", "assignee", "group")
    actions = ("mark_solved", "mark_open", "mark_pending")

    add_fieldsets = (
        (None, {"fields": ADD_FIELDS}),
        (gettext_lazy("First comment"), {"fields": ("first_comment", "first_comment_public")}),
    )
    change_fieldsets = (
        (None, {"fields": CHANGE_FIELDS}),
        (gettext_lazy("Requester and channel"), {"fields": CHANNEL_FIELDS}),
        (gettext_lazy("Dates"), {"fields": DATE_FIELDS}),
    )
    change_readonly_fields = CHANNEL_FIELDS + DATE_FIELDS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("tag_rows", queryset=TicketTag.objects.order_by("name")))
        )

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.change_readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TicketAddForm if obj is None else TicketChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, RelatedFieldWidgetWrapper):
            # Agents and groups are not edited from a ticket; a new requester may be added (saved by contact_create).
            widget.can_change_related = widget.can_delete_related = False
            widget.can_add_related = widget.can_add_related and db_field.name == "requester"
        return formfield

    def get_inlines(self, request, obj=None):
        return (TicketTagInline,) if obj is None else (TicketTagInline, CommentInline, EventInline)

    def has_change_permission(self, request, obj=None) -> bool:
        # Closed tickets are frozen (services refuse any change): show them read-only.
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_closed)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting would erase the audit trail; tickets are closed, not deleted

    @admin.display(description=gettext_lazy("tags"))
    def tag_list(self, obj: Ticket) -> str:
        return " ".join(tag.name for tag in obj.tag_rows.all())

    @admin.display(description=gettext_lazy("channel"))
    def channel_state(self, obj: Ticket) -> str:
        return pretty_json(hooks.channel_info(obj))

    # Saving goes through services. `save_model` does nothing because the service needs the tags from the
    # inline too, which Django hands over only in `save_related`.

    def save_model(self, request, obj, form, change) -> None:
        pass

    def save_related(self, request, form, formsets, change) -> None:
        tags = None
        for formset in formsets:
            if formset.model is TicketTag:
                tags = [
                    f.cleaned_data["name"]
                    for f in formset.forms
                    if f.cleaned_data.get("name") and not f.cleaned_data.get("DELETE")
                ]
            # Nothing is saved by the formsets themselves; the change message reads these.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        ticket = form.instance
        if not change:
            data = form.cleaned_data
            body = data.get("first_comment", "").strip()
            saved = services.ticket_create(
                requester=data["requester"],
                subject=data["subject"],
                via=data["via"],
                actor=request.user,
                comment=services.NewComment(body=body, public=data["first_comment_public"]) if body else None,
                priority=data.get("priority"),
                type=data.get("type"),
                tags=tags or (),
                assignee=data.get("assignee"),
                group=data.get("group"),
            )
            adopt(ticket, saved)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in services.ASSIGNABLE_FIELDS}
        if tags is not None and sorted(tags) != sorted(ticket.tag_rows.values_list("name", flat=True)):
            changes["tags"] = tags
        if changes:
            adopt(ticket, services.ticket_update(ticket=ticket, actor=request.user, changes=changes))

    # Actions: one service call per ticket, each in its own transaction; refusals are reported, not raised.

    def _change_status(self, request, queryset: QuerySet[Ticket], status: str) -> None:
        changed, refused = 0, []
        for ticket in queryset.order_by("pk"):
            try:
                services.ticket_update(ticket=ticket, actor=request.user, changes={"status": status})
            except DomainError as exc:
                refused.append(f"#{ticket.pk}: {exc.message}")
            else:
                changed += 1
        if changed:
            self.message_user(request, STATUS_CHANGED[status](changed) % {"count": changed}, messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)

    @admin.action(description=gettext_lazy("Mark selected tickets solved"), permissions=["change"])
    def mark_solved(self, request, queryset):
        self._change_status(request, queryset, TicketStatus.SOLVED)

    @admin.action(description=gettext_lazy("Mark selected tickets open"), permissions=["change"])
    def mark_open(self, request, queryset):
        self._change_status(request, queryset, TicketStatus.OPEN)

    @admin.action(description=gettext_lazy("Mark selected tickets pending"), permissions=["change"])
    def mark_pending(self, request, queryset):
        self._change_status(request, queryset, TicketStatus.PENDING)


@admin.register(TicketTag)
class TicketTagAdmin(IdSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tags are changed on the ticket (through `ticket_update`); this list is for finding them."""

    list_display = ("name", "ticket_id_link")
    list_select_related = False
    search_fields = ("name",)
    id_search_fields = ("ticket_id",)
    show_full_result_count = False

    @admin.display(description=gettext_lazy("ticket"), ordering="ticket_id")
    def ticket_id_link(self, obj: TicketTag) -> str:
        return ticket_link(obj.ticket_id)
