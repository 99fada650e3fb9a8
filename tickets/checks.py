"""System checks of the tickets app (registered in TicketsConfig.ready)."""

from django.conf import settings
from django.core.checks import Warning
from django.utils.translation import gettext as _


def check_realtime_relay(app_configs, **kwargs) -> list[Warning]:
    """Embedded mode (no REDIS_URL): can a worker hand its live frames to a web process?

    Cheap on purpose, no network: it only looks at what the worker would use (REALTIME_RELAY_URL, the address the
    web process recorded, SITE_URL). A web process that is down is the worker's log's business (one warning per
    frame it could not relay); the stored notifications are replayed when the agent's page reconnects.
    """
    if settings.REDIS_URL:
        return []
    from tickets import realtime

    if settings.REALTIME_RELAY_URL:
        host = realtime.urlsplit(settings.REALTIME_RELAY_URL).hostname or ""
        if host == "localhost" or realtime._loopback(host):
            return []
        return [
            Warning(
                _("REALTIME_RELAY_URL points away from this machine: the web process refuses relayed frames from it."),
                hint=_("Use the web process's loopback address, e.g. http://127.0.0.1:8000/internal/realtime/."),
                id="tickets.W001",
            )
        ]
    if not settings.REALTIME_RELAY_DISCOVERY or realtime.recorded_relay_url() or realtime.site_relay_url():
        return []
    return [
        Warning(
            _(
                "Without Redis a worker cannot find the web process yet: live banners from the worker are lost until "
                "the web process has served its first request."
            ),
            hint=_(
                "Start the web process (daphne) and open any page: it records its address for the worker. Or set "
                "REALTIME_RELAY_URL to its loopback address (http://127.0.0.1:<port>/internal/realtime/), or REDIS_URL."
            ),
            id="tickets.W002",
        )
    ]
