"""Every read of the macros app. Selectors own the visible sets, prefetching and ordering.

*Available* means usable by this user on a ticket: active, and shared with everyone, personal to the user, or
limited to a group the user is a member of (the same rule for admins: a macro for the Billing group is Billing's).
*Visible* is what a user may read and manage: admins see every macro; agents see the available ones plus their own
inactive personal macros and the inactive shared ones they could use.
"""

from django.db.models import Prefetch, Q, QuerySet

from macros.models import Macro, MacroAvailability
from tickets import hooks
from tickets.models import Comment, Group, Ticket, TicketTag
from tickets.permissions import is_admin, is_agent

ORDERINGS = {
    "title": ("title", "id"),
    "position": ("position", "title", "id"),
    "usage": ("-usage_count", "title", "id"),
    "-usage": ("usage_count", "title", "id"),
    "created": ("-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
}


def _for_user(user) -> Q:
    """Shared with everyone, personal to `user`, or limited to one of `user`'s groups (a subquery, no round trip)."""
    my_macros = Macro.groups.through.objects.filter(group__members=user).values("macro_id")
    return (
        Q(availability=MacroAvailability.EVERYONE)
        | Q(availability=MacroAvailability.PERSONAL, owner=user)
        | Q(availability=MacroAvailability.GROUPS, pk__in=my_macros)
    )


def _finish(qs: QuerySet[Macro], *, search: str | None, order: str) -> QuerySet[Macro]:
    if search:
        search = search.strip()
        qs = qs.filter(Q(title__icontains=search) | Q(description__icontains=search))
    return qs.prefetch_related(Prefetch("groups", queryset=Group.objects.only("id").order_by("id"))).order_by(
        *ORDERINGS.get(order, ORDERINGS["title"])
    )


def macros_available_to(user, *, search: str | None = None, order: str = "title") -> QuerySet[Macro]:
    """The macros `user` may apply, for the agent's macro menu."""
    if not is_agent(user):
        return Macro.objects.none()
    return _finish(Macro.objects.filter(_for_user(user), active=True), search=search, order=order)


def macros_visible_to(
    user,
    *,
    search: str | None = None,
    active: bool | None = None,
    availability: str | None = None,
    order: str = "position",
) -> QuerySet[Macro]:
    """The macros `user` may read (the API list and detail): all for admins."""
    if not is_agent(user):
        return Macro.objects.none()
    qs = Macro.objects.all() if is_admin(user) else Macro.objects.filter(_for_user(user))
    if active is not None:
        qs = qs.filter(active=active)
    if availability:
        qs = qs.filter(availability=availability)
    return _finish(qs, search=search, order=order)


def macro_visible_get(*, user, macro_id: int) -> Macro | None:
    return macros_visible_to(user).filter(pk=macro_id).first()


def macro_available_get(*, user, macro_id: int) -> Macro | None:
    return macros_available_to(user).filter(pk=macro_id).first()


def macros_available_by_ids(*, user, macro_ids: list[int]) -> list[Macro]:
    """The available macros among `macro_ids`, in the order given (unknown or unavailable ids are left out)."""
    if not macro_ids:
        return []
    found = {m.pk: m for m in Macro.objects.filter(_for_user(user), active=True, pk__in=macro_ids)}
    return [found[pk] for pk in dict.fromkeys(macro_ids) if pk in found]


def macro_is_available(*, macro: Macro, user) -> bool:
    if not is_agent(user) or not macro.active:
        return False
    if macro.availability == MacroAvailability.EVERYONE:
        return True
    if macro.availability == MacroAvailability.PERSONAL:
        return macro.owner_id == user.pk
    return Macro.groups.through.objects.filter(macro_id=macro.pk, group__members=user).exists()


def ticket_for_output(*, ticket_id: int) -> Ticket:
    """The ticket as the API shows it after a macro (which may have moved it out of the agent's sight)."""
    return (
        Ticket.objects.select_related("requester", "assignee", "group", *hooks.ticket_related())
        .prefetch_related(Prefetch("tag_rows", queryset=TicketTag.objects.order_by("name")))
        .get(pk=ticket_id)
    )


# --- Placeholder values that need queries ---------------------------------------------------------------------


def placeholder_comments(ticket: Ticket) -> list[Comment]:
    """A ticket's comments, oldest first, with their authors (for the comment placeholders)."""
    if ticket.pk is None:
        return []
    return list(
        Comment.objects.filter(ticket_id=ticket.pk)
        .select_related("author_user", "author_contact")
        .order_by("created_at", "id")
    )


def placeholder_extras(ticket: Ticket, *, names) -> dict[str, str]:
    """``{{ticket.tags}}`` and ``{{ticket.cc_names}}`` (`names` joins people's names)."""
    if ticket.pk is None:
        return {"ticket.tags": "", "ticket.cc_names": ""}
    tags = TicketTag.objects.filter(ticket_id=ticket.pk).order_by("name").values_list("name", flat=True)
    return {
        "ticket.tags": " ".join(tags),
        "ticket.cc_names": names(ticket.email_ccs.order_by("name", "pk")),
    }
