"""Reading webhooks and their delivery log."""

from django.db.models import QuerySet

from automations.webhooks.models import Webhook, WebhookInvocation


def webhooks(*, status: str | None = None) -> QuerySet[Webhook]:
    queryset = Webhook.objects.order_by("name", "id")
    return queryset.filter(status=status) if status else queryset


def webhook_get(webhook_id: int) -> Webhook | None:
    return Webhook.objects.filter(pk=webhook_id).first()


def invocations_recent(webhook: Webhook, *, limit: int = 20) -> list[WebhookInvocation]:
    """The latest calls of a webhook with their attempts, newest first (two queries)."""
    return list(
        WebhookInvocation.objects.filter(webhook=webhook)
        .select_related("ticket")
        .prefetch_related("attempts")
        .order_by("-created_at", "-id")[:limit]
    )
