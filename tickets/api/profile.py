"""`GET/PATCH /api/profile/`: the caller's own language and time zone (there is no way to read anyone else's)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets import profiles


@extend_schema_serializer(component_name="AgentProfile")
class ProfileSerializer(serializers.Serializer):
    language = serializers.CharField(
        max_length=10,
        allow_blank=True,
        required=False,
        help_text=_('A language code of the product ("en", "de"); "" follows the Accept-Language header.'),
    )
    time_zone = serializers.CharField(
        max_length=64,
        allow_blank=True,
        required=False,
        help_text=_('An IANA time zone such as "Europe/Berlin"; "" is the server\'s default.'),
    )
    effective_language = serializers.CharField(read_only=True, help_text=_("The language used when none is chosen."))
    effective_time_zone = serializers.CharField(read_only=True)


def _shape(preferences: profiles.Preferences) -> dict:
    return {
        "language": preferences.language,
        "time_zone": preferences.time_zone,
        "effective_language": preferences.effective_language,
        "effective_time_zone": preferences.effective_time_zone,
    }


class ProfileView(APIView):
    """The calling agent's profile."""

    @extend_schema(summary=_("Your profile"), responses={200: ProfileSerializer})
    def get(self, request: Request) -> Response:
        return Response(_shape(profiles.preferences_of(request.user)))

    @extend_schema(
        summary=_("Change your language or time zone"), request=ProfileSerializer, responses={200: ProfileSerializer}
    )
    def patch(self, request: Request) -> Response:
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        saved = profiles.agent_profile_update(user=request.user, **serializer.validated_data)
        session = getattr(request._request, "session", None)
        if session is not None and request.auth is None:  # a browser session: its pages follow at once
            profiles.remember(session, saved)
        return Response(_shape(saved))
