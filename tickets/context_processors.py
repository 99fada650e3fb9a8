def agent_shell(request) -> dict:
    """What the base layout needs on every agent page (kept tiny: no queries here)."""
    from django.conf import settings

    return {"simulator_enabled": settings.WHATSAPP_SIMULATOR_ENABLED}
