"""Per-request switches that depend on who is signed in."""

from django.utils import timezone

from tickets import profiles


class AgentPreferencesMiddleware:
    """The signed-in agent's language and time zone for this request (after AuthenticationMiddleware, after
    LocaleMiddleware, which already chose the browser's `Accept-Language` or `LANGUAGE_CODE`).

    A chosen language wins over the browser's; without a choice LocaleMiddleware's answer stands. The time zone is
    the agent's, else `settings.TIME_ZONE`. The preferences come from the session (no query); a session from before
    they were kept there loads them once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preferences = profiles.remembered(request.session)
            if preferences is None:
                preferences = profiles.preferences_of(user)
                profiles.remember(request.session, preferences)
            language = profiles.activate(preferences)
            if language:
                request.LANGUAGE_CODE = language
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
