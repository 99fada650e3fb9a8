"""Who may drive the simulator's phone, and when it exists at all.

The phone's pages and forms (`views.py`) make a customer write to any of our numbers: whoever uses them can post
customer messages into any ticket, including tickets they cannot see. So they are for admins only, and they answer
404 whenever the simulator is off (`WHATSAPP_SIMULATOR_ENABLED`, which defaults to `DEBUG`: off in production unless
set to true explicitly). The Graph API stand-in (`graph.py`) is not a page: it is what our own Cloud API client
calls with an account's Bearer token, exactly as it would call Meta, so it keeps its own checks.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.translation import gettext as _

from tickets.permissions import is_admin


def simulator_enabled() -> bool:
    return settings.WHATSAPP_SIMULATOR_ENABLED


def admin_required(view: Callable) -> Callable:
    """404 while the simulator is off; the login page for anonymous visitors; 403 for agents who are not admins."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not simulator_enabled():
            raise Http404(_("The WhatsApp simulator is not enabled."))
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_admin(request.user):
            return HttpResponseForbidden(_("The WhatsApp simulator is for admins only."))
        return view(request, *args, **kwargs)

    return wrapper
