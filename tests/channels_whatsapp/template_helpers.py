"""Template listing samples (Meta's shape) and the HTTP stand-in of the Graph API."""

from channels_whatsapp.models import MessageTemplate
from tests.channels_whatsapp.graph_server import GraphStandIn

Status = MessageTemplate.Status
TOKEN = "EAAG-secret-token"  # the `account` fixture's


def order_update(status="APPROVED", body="Hi {{1}}, your order {{2}} has shipped."):
    return {
        "name": "order_update",
        "parameter_format": "POSITIONAL",
        "components": [{"type": "BODY", "text": body, "example": {"body_text": [["Ana", "A-1"]]}}],
        "language": "en_US",
        "status": status,
        "category": "UTILITY",
        "id": "1001",
    }


ORDER_RECEIPT = {
    "name": "order_receipt",
    "parameter_format": "POSITIONAL",
    "components": [
        {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::aW1hZ2U="]}},
        {"type": "BODY", "text": "Hi {{1}}, here is the receipt for order {{2}}. Total {{3}}."},
        {"type": "FOOTER", "text": "Thanks for shopping"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "URL", "text": "Track", "url": "https://shop.example/track/{{1}}", "example": ["A-1"]},
                {"type": "QUICK_REPLY", "text": "Talk to us"},
                {"type": "URL", "text": "Shop", "url": "https://shop.example/"},
            ],
        },
    ],
    "language": "en_US",
    "status": "APPROVED",
    "category": "UTILITY",
    "id": "1002",
}


PROMO_ES = {
    "name": "spring_promo",
    "parameter_format": "POSITIONAL",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Primavera"},
        {"type": "BODY", "text": "¡Hola {{1}}! {{2}} de descuento."},
    ],
    "language": "es_MX",
    "status": "PENDING",
    "category": "MARKETING",
    "id": "1003",
}


HELLO = {
    "name": "hello_world",
    "components": [{"type": "BODY", "text": "Hello World"}],
    "language": "en_US",
    "status": "IN_REVIEW_SOMETHING_NEW",
    "category": "UTILITY",
    "id": "1004",
}


def serve_listing(graph: GraphStandIn, waba_id: str, *pages: list[dict]) -> None:
    """Script one listing: each page links the next one through `paging.next`, as Meta does."""
    for number, page in enumerate(pages, start=1):
        body: dict = {"data": page, "paging": {"cursors": {"before": f"b{number}", "after": f"a{number}"}}}
        if number < len(pages):
            body["paging"]["next"] = f"{graph.url}/{waba_id}/message_templates?limit=100&after=a{number}"
        graph.script.append((200, body))
