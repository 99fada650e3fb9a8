"""One set of access rules, used by pages, API, WebSocket and attachment downloads.

Roles: a *product admin* is an active superuser, or an active staff user holding the `tickets.product_admin`
permission (the "Product admins" group); admins see everything, may change settings and may enter the Django admin.
`is_staff` alone is not a role. An *agent* is any other active user and sees tickets of their groups, tickets assigned
to them, and tickets not yet routed to any group (so new conversations can be triaged). End users are contacts and
never log in.
"""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission


def is_agent(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


PRODUCT_ADMIN_PERMISSION = "tickets.product_admin"
PRODUCT_ADMINS_GROUP = "Product admins"


def is_admin(user) -> bool:
    """Superuser, or staff holding the role. Staff status is asked first, so a plain agent costs no query; for
    staff, Django caches the permissions on the user object for the rest of the request."""
    if not is_agent(user):
        return False
    return user.is_superuser or (user.is_staff and user.has_perm(PRODUCT_ADMIN_PERMISSION))


def restrict_tickets(queryset: QuerySet, user) -> QuerySet:
    if not is_agent(user):
        return queryset.none()
    if is_admin(user):
        return queryset
    # A subquery, not a list: the visible set costs no extra round trip.
    from tickets.models import Group

    my_groups = Group.objects.filter(members=user).values("id")
    return queryset.filter(Q(group__isnull=True) | Q(group_id__in=my_groups) | Q(assignee=user))


def restrict_contacts(queryset: QuerySet, user) -> QuerySet:
    """Contacts as visible as their tickets: one of their tickets is visible to the user, or the user created the
    contact and it has no ticket yet. EXISTS subqueries, so the visible set is still one query."""
    if not is_agent(user):
        return queryset.none()
    if is_admin(user):
        return queryset
    from django.db.models import Exists, OuterRef

    from tickets.models import Ticket

    visible = restrict_tickets(Ticket.objects.filter(requester=OuterRef("pk")), user)
    any_ticket = Ticket.objects.filter(requester=OuterRef("pk"))
    return queryset.filter(Exists(visible) | (Q(created_by=user) & ~Exists(any_ticket)))


def can_view_ticket(user, ticket) -> bool:
    if is_admin(user):
        return True
    if not is_agent(user):
        return False
    if ticket.group_id is None or ticket.assignee_id == user.pk:
        return True
    return user.agent_groups.filter(pk=ticket.group_id).exists()


class IsAgent(BasePermission):
    message = gettext_lazy("Only agents may use the API.")

    def has_permission(self, request, view) -> bool:
        return is_agent(request.user)


class IsAdmin(BasePermission):
    message = gettext_lazy("Only admins may change this.")

    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)


class IsAdminOrReadOnly(BasePermission):
    message = gettext_lazy("Only admins may change this.")

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return is_agent(request.user)
        return is_admin(request.user)
