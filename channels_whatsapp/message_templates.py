"""The message-template registry: pure helpers, selectors and the admins' writes (sync and status webhook are in
template_sync.py).

Meta is the source of truth for templates. `template_sync.templates_sync` copies the Cloud API listing of the account's WABA
into `MessageTemplate` rows (the network call happens before the transaction, the upsert is one transaction);
the `message_template_status_update` webhook moves a template's status in between. Rows are never deleted: a
template Meta stops listing becomes DELETED, so comments that name it keep their meaning.

Status webhook events map to statuses one to one, except (per Meta's webhook reference; docs/whatsapp-templates.md):
- `REINSTATED`: the template may be sent again, so it is APPROVED (REINSTATED is kept as a choice for listings
  that report it, and is not sendable there because the next event or sync settles it);
- `UNARCHIVED`: Meta restores the template's earlier status, which the webhook does not say: UNKNOWN (not
  sendable) until the next sync;
- any event we do not know: UNKNOWN, with a note on the webhook delivery.
"""

import logging
import re
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from channels_whatsapp.models import MessageTemplate, WhatsAppAccount
from tickets.errors import DomainError

logger = logging.getLogger(__name__)

Status = MessageTemplate.Status
Category = MessageTemplate.Category
HeaderFormat = MessageTemplate.HeaderFormat

NAME_PATTERN = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
POSITIONAL = re.compile(r"\{\{\s*(\d+)\s*\}\}")
NAMED = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
BODY_LIMIT = 1024
HEADER_TEXT_LIMIT = 60
FOOTER_LIMIT = 60
COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS")


# --- Pure helpers (no database) -------------------------------------------------------------------------------


def normalize_language(code: str) -> str:
    """WhatsApp locale codes use an underscore: "en-US", "en_us" and " en_US " all become "en_US"."""
    parts = [p for p in re.split(r"[-_]", (code or "").strip()) if p]
    if not parts:
        return ""
    head, rest = parts[0].lower(), parts[1:]
    return "_".join([head, *(p.upper() if len(p) == 2 and p.isalpha() else p for p in rest)])


def body_parameter_count(text: str) -> int:
    """The highest positional placeholder `{{n}}` in the text (0 without any): how many values a send needs."""
    return max((int(n) for n in POSITIONAL.findall(text or "")), default=0)


def render_body(body: str, params: Sequence[str]) -> str:
    """Fill `{{n}}` with `params[n-1]` by explicit substitution; a placeholder without a value stays as it is.

    Values are inserted literally: a value that itself looks like `{{2}}` is not filled again.
    """

    def fill(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        return str(params[index]) if 0 <= index < len(params) else match.group(0)

    return POSITIONAL.sub(fill, body or "")


def status_from(value: Any) -> str:
    """A listing's status as one of ours; anything else is UNKNOWN (and so not sendable)."""
    text = str(value or "").strip().upper()
    return text if text in Status.values else Status.UNKNOWN


def reason_text(value: Any) -> str:
    text = str(value or "").strip()
    return "" if text.upper() == "NONE" else text[:200]


def _component(components: list[dict], kind: str) -> dict:
    return next((c for c in components if str(c.get("type", "")).upper() == kind), {})


def button_summary(components: list[dict]) -> list[dict]:
    """The BUTTONS component as `[{index, type, has_url_parameter}]`; `index` is Meta's 0-based button index."""
    buttons = _component(components, "BUTTONS").get("buttons")
    if not isinstance(buttons, list):
        return []
    return [
        {
            "index": index,
            "type": str(button.get("type", "")).upper(),
            "has_url_parameter": str(button.get("type", "")).upper() == "URL"
            and bool(POSITIONAL.search(str(button.get("url", "")))),
        }
        for index, button in enumerate(b for b in buttons if isinstance(b, dict))
    ]


def derived_fields(components: list[dict], *, parameter_format: str = "POSITIONAL") -> dict:
    """What the registry keeps next to the components: body text, header format, parameter count, buttons."""
    body = str(_component(components, "BODY").get("text", ""))
    header_format = str(_component(components, "HEADER").get("format", "")).upper()
    # Named templates ({{first_name}}) need one value per distinct name.
    named = parameter_format.upper() == "NAMED"
    count = len(set(NAMED.findall(body))) if named else body_parameter_count(body)
    return {
        "body": body,
        "header_format": header_format if header_format in HeaderFormat.values else "",
        "body_parameter_count": count,
        "buttons": button_summary(components),
    }


def template_fields(data: dict) -> dict | None:
    """One entry of Meta's listing as model fields; None when it has no name or language."""
    name = str(data.get("name") or "").strip()
    language = normalize_language(str(data.get("language") or ""))
    if not name or not language:
        return None
    components = [c for c in data.get("components") or [] if isinstance(c, dict)]
    parameter_format = str(data.get("parameter_format") or "POSITIONAL").upper()[:20]
    return {
        "name": name[:512],
        "language": language[:16],
        "category": str(data.get("category") or "").upper()[:20] or Category.UTILITY,
        "status": status_from(data.get("status")),
        "external_id": str(data.get("id") or "")[:64],
        "parameter_format": parameter_format,
        "components": components,
        "rejected_reason": reason_text(data.get("rejected_reason")),
        **derived_fields(components, parameter_format=parameter_format),
    }


def components_check(components: Any) -> list[dict]:
    """Validate components written through the API (Meta's shape); raises DomainError on `components`."""

    def refuse(message: str):
        raise DomainError(message, field="components")

    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        refuse(_("Components must be a list of objects."))
    kinds = [str(c.get("type", "")).upper() for c in components]
    for kind in kinds:
        if kind not in COMPONENT_TYPES:
            refuse(
                _("Unknown component type '%(kind)s'; expected one of %(types)s.")
                % {"kind": kind, "types": ", ".join(COMPONENT_TYPES)}
            )
    if len(set(kinds)) != len(kinds):
        refuse(_("Each component type may appear once."))
    body = _component(components, "BODY")
    if not body:
        refuse(_("A BODY component is required."))
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        refuse(_("The BODY component needs a text."))
    if len(text) > BODY_LIMIT:
        refuse(_("The body may have at most %(limit)s characters.") % {"limit": BODY_LIMIT})
    header = _component(components, "HEADER")
    if header:
        fmt = str(header.get("format", "")).upper()
        if fmt not in HeaderFormat.values or not fmt:
            refuse(_("The HEADER format must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION."))
        if fmt == "TEXT" and (not isinstance(header.get("text"), str) or len(header["text"]) > HEADER_TEXT_LIMIT):
            refuse(_("A TEXT header needs a text of at most %(limit)s characters.") % {"limit": HEADER_TEXT_LIMIT})
    footer = _component(components, "FOOTER")
    if footer and (not isinstance(footer.get("text"), str) or len(footer["text"]) > FOOTER_LIMIT):
        refuse(_("The FOOTER needs a text of at most %(limit)s characters.") % {"limit": FOOTER_LIMIT})
    buttons = _component(components, "BUTTONS")
    if buttons and (
        not isinstance(buttons.get("buttons"), list)
        or not all(isinstance(b, dict) and b.get("type") for b in buttons["buttons"])
    ):
        refuse(_("BUTTONS needs a list `buttons` of objects with a `type`."))
    return components


# --- Selectors ------------------------------------------------------------------------------------------------


def _account_id(account: WhatsAppAccount | int) -> int:
    return account.pk if isinstance(account, WhatsAppAccount) else int(account)


def template_for(*, account: WhatsAppAccount | int, name: str, language: str) -> MessageTemplate | None:
    """The account's template of that name and language (normalized: "en-US" finds en_US), whatever its status.

    Check `is_sendable` before sending: a template that exists but is not APPROVED is `template_not_approved`.
    """
    if not name or not language:
        return None
    return MessageTemplate.objects.filter(
        account_id=_account_id(account), name=name, language=normalize_language(language)
    ).first()


def templates_for_account(
    *,
    account: WhatsAppAccount | int,
    status: str | None = None,
    search: str | None = None,
    prefer_language: str | None = None,
) -> QuerySet[MessageTemplate]:
    """An account's templates by name and language; `status="APPROVED"` gives the ones an agent may send.

    With `prefer_language` ("de": the customer's language) the templates in that language ("de", "de_DE", ...) come
    first, then the others, each part by name and language."""
    queryset = MessageTemplate.objects.filter(account_id=_account_id(account))
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(body__icontains=search))
    if prefer_language:
        in_language = Q(language=prefer_language) | Q(language__startswith=f"{prefer_language}_")
        first = Case(When(in_language, then=Value(0)), default=Value(1), output_field=IntegerField())
        return queryset.order_by(first, "name", "language", "id")
    return queryset.order_by("name", "language", "id")


def templates_list(
    *,
    account_id: int | None = None,
    status: str | None = None,
    language: str | None = None,
    category: str | None = None,
    search: str | None = None,
) -> QuerySet[MessageTemplate]:
    """Every account's templates for the API and the admin, filtered."""
    queryset = MessageTemplate.objects.all()
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    if status:
        queryset = queryset.filter(status=status)
    if language:
        queryset = queryset.filter(language=normalize_language(language))
    if category:
        queryset = queryset.filter(category=category)
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(body__icontains=search))
    return queryset.order_by("account_id", "name", "language", "id")


# --- Writes through the API (admins) ------------------------------------------------------------------------------


def _check_identity(*, account_id: int, name: str, language: str, exclude_pk: int | None = None) -> None:
    if not NAME_PATTERN.match(name or ""):
        raise DomainError(_("Use lowercase letters, digits and underscores (at most 512)."), field="name")
    if not LANGUAGE_PATTERN.match(language or ""):
        raise DomainError(_("A WhatsApp language code such as en, en_US or pt_BR."), field="language")
    clash = MessageTemplate.objects.filter(account_id=account_id, name=name, language=language)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        message = _("This account already has a template '%(name)s' in %(language)s.") % {
            "name": name,
            "language": language,
        }
        raise DomainError(message, errors={"name": [message]})


def _check_choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:
        raise DomainError(
            _("'%(value)s' is not one of %(choices)s.")
            % {"value": value, "choices": ", ".join(v for v in choices.values if v)},
            field=field,
        )
    return value


def _content(*, body: str | None, components: list | None, current: list | None = None) -> dict:
    """Components and the fields derived from them, from either a full component list or a new body text."""
    if components is not None:
        components = components_check(components)
        body_text = str(_component(components, "BODY").get("text", ""))
        if body is not None and body != body_text:
            raise DomainError(_("The body differs from the BODY component's text; send one of them."), field="body")
    else:
        if body is None or not body.strip():
            raise DomainError(_("A body (or components with a BODY) is required."), field="body")
        if len(body) > BODY_LIMIT:
            raise DomainError(
                _("The body may have at most %(limit)s characters.") % {"limit": BODY_LIMIT}, field="body"
            )
        components = [dict(c) for c in current or []] or [{"type": "BODY", "text": body}]
        for component in components:
            if str(component.get("type", "")).upper() == "BODY":
                component["text"] = body
                component.pop("example", None)  # the old examples described the old text
    return {"components": components, **derived_fields(components)}


def _save(template: MessageTemplate) -> MessageTemplate:
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:  # a concurrent write took the name first
        message = _("This account already has a template of that name and language.")
        raise DomainError(message, errors={"name": [message]}) from None
    return template


@transaction.atomic
def template_create(
    *,
    account: WhatsAppAccount,
    name: str,
    language: str,
    category: str,
    body: str | None = None,
    components: list | None = None,
    status: str = Status.PENDING,
    rejected_reason: str = "",
    actor=None,
) -> MessageTemplate:
    """Register a template by hand (e.g. before the first sync). The next sync reconciles it with Meta."""
    language = normalize_language(language)
    _check_identity(account_id=account.pk, name=name, language=language)
    _check_choice(category, Category, "category")
    _check_choice(status, Status, "status")
    template = MessageTemplate(
        account=account,
        name=name,
        language=language,
        category=category,
        status=status,
        rejected_reason=rejected_reason[:200],
        **_content(body=body, components=components),
    )
    _save(template)
    logger.info("Template %s (%s) registered by %s", name, language, getattr(actor, "username", "system"))
    return template


UPDATABLE = {"name", "language", "category", "status", "body", "components", "rejected_reason"}


@transaction.atomic
def template_update(*, template: MessageTemplate, actor=None, **fields) -> MessageTemplate:
    """Change a registered template. `account` cannot change; a new `body` replaces the BODY component's text."""
    unknown = set(fields) - UPDATABLE - {"account"}
    if unknown:
        raise DomainError(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if "account" in fields and _account_id(fields["account"]) != template.account_id:
        raise DomainError(_("A template cannot move to another account."), field="account_id")
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    name = fields.get("name", template.name)
    language = normalize_language(fields.get("language", template.language))
    if name != template.name or language != template.language:
        _check_identity(account_id=template.account_id, name=name, language=language, exclude_pk=template.pk)
    template.name, template.language = name, language
    if "category" in fields:
        template.category = _check_choice(fields["category"], Category, "category")
    if "status" in fields:
        template.status = _check_choice(fields["status"], Status, "status")
    if "rejected_reason" in fields:
        template.rejected_reason = (fields["rejected_reason"] or "")[:200]
    if "body" in fields or "components" in fields:
        content = _content(
            body=fields.get("body"), components=fields.get("components"), current=list(template.components or [])
        )
        for key, value in content.items():
            setattr(template, key, value)
    _save(template)
    logger.info(
        "Template %s (%s) changed by %s", template.name, template.language, getattr(actor, "username", "system")
    )
    return template
