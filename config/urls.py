from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.cache import cache_page
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from automations import api_urls as automations_api
from channels_whatsapp.insights import urls as insights_urls
from macros import api_urls as macros_api
from tickets.api import urls as tickets_api
from tickets.api.profile import ProfileView
from tickets.throttling import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

admin.site.login_form = ThrottledAdminAuthenticationForm  # failed logins are throttled on both login forms


# Every app's API routes under /api/, behind one root view; each app declares its own router.
api_router = DefaultRouter()
for app_router in (tickets_api.router, macros_api.router, automations_api.router):
    api_router.registry.extend(app_router.registry)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


# The JavaScript catalogue changes only with a deploy: built once per language and hour (the cache key holds the active
# language), and a browser holding this process's copy gets a 304. base.html asks for it with the language in the
# query, so a browser never keeps one language's copy for another.
CATALOGUE_BUILT_AT = timezone.now()
javascript_catalog = last_modified(lambda request, **kwargs: CATALOGUE_BUILT_AT)(
    cache_page(60 * 60, key_prefix=f"jsi18n-{CATALOGUE_BUILT_AT.timestamp():.0f}")(JavaScriptCatalog.as_view())
)


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, a raw file): the same SVG icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/whatsapp/", include("channels_whatsapp.api")),
    path("api/insights/", include(insights_urls.api_urlpatterns)),
    path("api/profile/", ProfileView.as_view(), name="api-profile"),
    path("api/", include(api_router.urls)),
    path("whatsapp/", include("channels_whatsapp.urls")),
    path("healthz/", healthz, name="healthz"),
    # The JavaScript catalogue (gettext() and friends in static/js), in the active language.
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
    path("macros/", include("macros.urls")),
    path("rules/", include("automations.urls")),
    path("insights/", include(insights_urls.page_urlpatterns)),
    path("", include("tickets.urls")),
]

if settings.WHATSAPP_SIMULATOR_ENABLED:
    urlpatterns.append(path("simulator/", include("channels_whatsapp.simulator.urls")))
