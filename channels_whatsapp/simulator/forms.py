from django import forms
from django.utils.translation import gettext_lazy as _

from channels_whatsapp.simulator import protocol
from channels_whatsapp.simulator.models import SimulatorFault
from channels_whatsapp.simulator.phone_messages import MAX_HOURS_AGO

FORWARD_CHOICES = [
    ("", _("Not forwarded")),
    ("forwarded", _("Forwarded")),
    ("frequently_forwarded", _("Frequently forwarded (more than 5 times)")),
]


class ContactForm(forms.Form):
    """A phone: its WhatsApp id (digits) and profile name."""

    wa_id = forms.RegexField(
        regex=r"^\+?[\d\s().-]{5,30}$",
        label=_("WhatsApp number"),
        help_text=_("With country code, e.g. 5511999990000."),
        error_messages={"invalid": _("Digits only, with the country code.")},
    )
    name = forms.CharField(label=_("Profile name"), max_length=100)

    def clean_wa_id(self) -> str:
        wa_id = protocol.digits(self.cleaned_data["wa_id"])
        if not 5 <= len(wa_id) <= 20:
            raise forms.ValidationError(_("5 to 20 digits, with the country code."))
        return wa_id


class _PhoneForm(ContactForm):
    """Who is writing to which business number: carried by every phone form."""

    phone_number_id = forms.CharField(label=_("Business number"), max_length=64)


class MessageForm(_PhoneForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=protocol.TEXT_MAX)
    attachment = forms.FileField(required=False, help_text=_("An image, video, audio or any file (max 100 MB)."))
    forwarded = forms.ChoiceField(choices=FORWARD_CHOICES, required=False)
    hours_ago = forms.FloatField(
        label=_("Sent hours ago"), min_value=0, max_value=MAX_HOURS_AGO, initial=0, required=False
    )
    context_id = forms.CharField(label=_("Reply to"), required=False, max_length=200)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("text") and not data.get("attachment"):
            raise forms.ValidationError(_("Write a text or attach a file."))
        attachment = data.get("attachment")
        if attachment is not None and attachment.size > protocol.PHONE_MEDIA_MAX:
            self.add_error("attachment", _("WhatsApp does not send files over 100 MB."))
        data["hours_ago"] = data.get("hours_ago") or 0
        return data


class ReactionForm(_PhoneForm):
    message_id = forms.CharField(label=_("React to"), max_length=200)
    emoji = forms.CharField(max_length=16, required=False, help_text=_("Empty removes the reaction."))


class LocationForm(_PhoneForm):
    latitude = forms.FloatField(min_value=-90, max_value=90)
    longitude = forms.FloatField(min_value=-180, max_value=180)
    location_name = forms.CharField(label=_("Place name"), max_length=200, required=False)
    address = forms.CharField(max_length=300, required=False)


class FaultForm(forms.Form):
    kind = forms.ChoiceField(choices=SimulatorFault.Kind.choices, label=_("Next sends"))
    count = forms.IntegerField(min_value=1, max_value=1000, initial=1, label=_("How many sends"))
    delay_seconds = forms.FloatField(min_value=0, max_value=120, initial=0, required=False, label=_("Delay (s)"))
