"""The Django admin for contacts. Saved through `tickets.contacts`; the channel ids are read-only here.

The only way to change a contact's WhatsApp id by hand is one of two audited tools on the change page, for product
admins: "Repair WhatsApp id" (`contact_wa_id_repair`) and "Merge into another contact" (`contact_merge`). Both write an
event on every affected ticket and an entry in the admin's history.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import contacts, selectors
from tickets.admin.common import IdSearchMixin, ServiceErrorsAsMessagesMixin, adopt
from tickets.errors import DomainError
from tickets.models import Contact
from tickets.permissions import is_admin


class RepairForm(forms.Form):
    wa_id = forms.CharField(
        label=gettext_lazy("New WhatsApp id"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Digits only, country code first. Empty removes the WhatsApp id."),
    )


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label=gettext_lazy("Merge into contact (id)"),
        queryset=Contact.objects.all(),
        widget=forms.NumberInput,
        help_text=gettext_lazy("This contact's tickets and messages move there; then this contact is deleted."),
    )


@admin.register(Contact)
class ContactAdmin(ServiceErrorsAsMessagesMixin, IdSearchMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "email",
        "wa_id",
        "whatsapp_opt_in",
        "whatsapp_opt_in_source",
        "whatsapp_opt_in_at",
        "created_at",
    )
    list_filter = ("whatsapp_opt_in", ("wa_id", admin.EmptyFieldListFilter), ("email", admin.EmptyFieldListFilter))
    search_fields = ("name", "email", "wa_id", "phone")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("name", "email", "phone")}),
        (
            gettext_lazy("WhatsApp"),
            {
                "fields": (
                    "wa_id",
                    "whatsapp_user_id",
                    "channel_tools",
                    "whatsapp_opt_in",
                    "whatsapp_opt_in_source",
                    "whatsapp_opt_in_at",
                    "whatsapp_opt_in_by",
                )
            },
        ),
        (gettext_lazy("Dates"), {"fields": ("created_by", "created_at", "updated_at")}),
    )
    # The channel ids come from the channel (or the audited tools below); the opt-in's provenance is stamped by
    # contacts.contact_opt_in_set.
    readonly_fields = (
        "wa_id",
        "whatsapp_user_id",
        "channel_tools",
        "whatsapp_opt_in_source",
        "whatsapp_opt_in_at",
        "whatsapp_opt_in_by",
        "created_by",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request):
        return selectors.contacts_visible(user=request.user)

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in contacts.EDITABLE_FIELDS}
            opt_in = data["whatsapp_opt_in"] if "whatsapp_opt_in" in form.changed_data else None
            saved = contacts.contact_update(
                contact=Contact.objects.get(pk=obj.pk),
                actor=request.user,
                whatsapp_opt_in=opt_in,
                opt_in_source="admin",
                **fields,
            )
        else:
            saved = contacts.contact_create(
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                created_by=request.user,
                whatsapp_opt_in=bool(data.get("whatsapp_opt_in")),
                opt_in_source="admin",
            )
        adopt(obj, saved)

    # --- Repair and merge -------------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("channel id tools"))
    def channel_tools(self, obj: Contact) -> str:
        if obj is None or obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:tickets_contact_repair", args=[obj.pk]),
            _("Repair WhatsApp id"),
            reverse("admin:tickets_contact_merge", args=[obj.pk]),
            _("Merge into another contact"),
        )

    def get_urls(self):
        urls = [
            path(
                "<int:contact_id>/repair/", self.admin_site.admin_view(self.repair_view), name="tickets_contact_repair"
            ),
            path("<int:contact_id>/merge/", self.admin_site.admin_view(self.merge_view), name="tickets_contact_merge"),
        ]
        return urls + super().get_urls()

    def _tool_contact(self, request: HttpRequest, contact_id: int) -> Contact:
        if not (is_admin(request.user) and self.has_change_permission(request)):
            raise PermissionDenied
        contact = self.get_queryset(request).filter(pk=contact_id).first()
        if contact is None:
            raise Http404(_("No such contact."))
        return contact

    def _tool_page(self, request, contact: Contact, form: forms.Form, title: str, status: int = 200) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "contact": contact,
            "form": form,
            "tickets": contact.tickets.order_by("-id")[:50],
        }
        return TemplateResponse(request, "admin/tickets/contact/channel_tool.html", context, status=status)

    def repair_view(self, request: HttpRequest, contact_id: int) -> HttpResponse:
        contact = self._tool_contact(request, contact_id)
        title = _("Repair the WhatsApp id of %(name)s") % {"name": contact.name}
        form = RepairForm(request.POST or None, initial={"wa_id": contact.wa_id or ""})
        if request.method == "POST" and form.is_valid():
            old = contact.wa_id
            try:
                saved = contacts.contact_wa_id_repair(
                    contact=contact, wa_id=form.cleaned_data["wa_id"], actor=request.user
                )
            except DomainError as error:
                form.add_error("wa_id", error.message)
            else:
                self.log_change(request, saved, [{"changed": {"fields": ["wa_id"]}}])
                self.message_user(
                    request,
                    _("WhatsApp id changed from %(old)s to %(new)s.") % {"old": old or "-", "new": saved.wa_id or "-"},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:tickets_contact_change", args=[saved.pk]))
        return self._tool_page(request, contact, form, title, status=400 if form.errors else 200)

    def merge_view(self, request: HttpRequest, contact_id: int) -> HttpResponse:
        source = self._tool_contact(request, contact_id)
        title = _("Merge %(name)s into another contact") % {"name": source.name}
        form = MergeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            target = form.cleaned_data["target"]
            try:
                saved = contacts.contact_merge(source=source, target=target, actor=request.user)
            except DomainError as error:
                form.add_error("target", error.message)
            else:
                message = _("Merged contact #%(source)s (%(name)s) into this contact.") % {
                    "source": contact_id,
                    "name": source.name,
                }
                self.log_change(request, saved, message)
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:tickets_contact_change", args=[saved.pk]))
        return self._tool_page(request, source, form, title, status=400 if form.errors else 200)
