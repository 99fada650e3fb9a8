"""The simulator's template registry: seeded templates per WABA and templates created by tests."""

from channels_whatsapp.simulator.models import (
    DEFAULT_WABA_ID,
    SimTemplate,
)

SEED_TEMPLATES: list[dict] = [
    {"name": "order_update", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
     "body": "Hi {{1}}, your order {{2}} has shipped."},
    {"name": "ticket_followup", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
     "body": "Hello {{1}}, we have an update on your request #{{2}}. Reply to continue the conversation."},
    {"name": "welcome_offer", "language": "en_US", "category": "MARKETING", "status": "APPROVED",
     "body": "Hi {{1}}! Enjoy 10% off with code {{2}}."},
    {"name": "hello_world", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
     "body": "Hello World"},
    {"name": "spring_sale", "language": "en_US", "category": "MARKETING", "status": "REJECTED",
     "body": "Spring sale! {{1}} off everything this week."},
    {"name": "ticket_followup", "language": "pt_BR", "category": "UTILITY", "status": "APPROVED",
     "body": "Olá {{1}}, temos novidades sobre o seu pedido #{{2}}."},
    {"name": "order_receipt", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
     "header_format": "DOCUMENT", "body": "Hi {{1}}, here is the receipt for order {{2}}."},
]  # fmt: skip


def templates_seed(*, waba_id: str = DEFAULT_WABA_ID) -> int:
    """Add the demo templates that are missing; returns how many were created. Idempotent."""
    created = 0
    for spec in SEED_TEMPLATES:
        defaults = {k: v for k, v in spec.items() if k not in ("name", "language")}
        _, was_created = SimTemplate.objects.get_or_create(
            waba_id=waba_id, name=spec["name"], language=spec["language"], defaults=defaults
        )
        created += was_created
    return created


def templates_ensure_seeded() -> None:
    """An empty registry gets the demo templates on first use."""
    if not SimTemplate.objects.exists():
        templates_seed()


def template_create(
    *,
    name: str,
    language: str,
    body: str,
    category: str = SimTemplate.Category.UTILITY,
    status: str = SimTemplate.Status.APPROVED,
    waba_id: str = DEFAULT_WABA_ID,
    header_format: str = "",
    header_text: str = "",
    footer: str = "",
    buttons: list | None = None,
) -> SimTemplate:
    templates_ensure_seeded()  # a custom template joins the demo registry, it does not replace it
    template, _ = SimTemplate.objects.update_or_create(
        waba_id=waba_id,
        name=name,
        language=language,
        defaults={
            "body": body,
            "category": category,
            "status": status,
            "header_format": header_format,
            "header_text": header_text,
            "footer": footer,
            "buttons": buttons or [],
        },
    )
    return template
