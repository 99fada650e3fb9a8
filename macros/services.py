"""Every write of the macros app: macros themselves, and applying one to a ticket.

Who may do what, as in Zendesk: admins manage every macro; any agent may create, change and delete personal macros
of their own; shared macros (for everyone, or for some groups) are an admin's. Applying a macro is one atomic submit
through `macros.actions.plan` (the implementation triggers and automations share), audited with a `macro.applied` event.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from macros import selectors
from macros.actions import plan as action_steps
from macros.definitions import actions_clean, definition_update, title_clean
from macros.models import Macro, MacroAvailability
from tickets import events
from tickets import services as ticket_services
from tickets.errors import DomainError
from tickets.models import Comment, Group, Ticket, TicketStatus
from tickets.permissions import is_admin, is_agent
from tickets.sentinels import UNSET
from tickets.snapshots import snapshot_diff, ticket_snapshot
from tickets.tags import tags_after

SHARED = (MacroAvailability.EVERYONE, MacroAvailability.GROUPS)


# --- Managing macros ---------------------------------------------------------------------------------------


def _check_author(actor) -> None:
    if not is_agent(actor):
        raise PermissionDenied(_("Only agents may manage macros."))


def check_access_fields(*, availability: str, owner, groups: Iterable[Group]) -> None:
    """The shape rules of availability, owner and groups (no permission check); the admin form uses them too."""
    if availability not in MacroAvailability.values:
        raise DomainError(
            _("'%(availability)s' is not a valid availability.") % {"availability": availability}, field="availability"
        )
    if availability == MacroAvailability.PERSONAL and owner is None:
        raise DomainError(_("A personal macro needs an owner."), field="owner_id")
    if availability != MacroAvailability.PERSONAL and owner is not None:
        raise DomainError(_("Only personal macros have an owner."), field="owner_id")
    if availability == MacroAvailability.GROUPS and not list(groups):
        raise DomainError(_("Choose at least one group for a macro limited to groups."), field="group_ids")
    if availability != MacroAvailability.GROUPS and list(groups):
        raise DomainError(_("Only macros limited to groups have groups."), field="group_ids")


def _check_may_save(*, actor, availability: str, owner) -> None:
    if is_admin(actor):
        return
    if availability in SHARED:
        raise PermissionDenied(_("Only admins may create or change shared macros; agents may keep personal macros."))
    if owner is not None and owner.pk != actor.pk:
        raise PermissionDenied(_("Agents may only create personal macros for themselves."))


def _check_may_change(*, actor, macro: Macro) -> None:
    if is_admin(actor):
        return
    if macro.availability != MacroAvailability.PERSONAL or macro.owner_id != actor.pk:
        raise PermissionDenied(_("You may only change your own personal macros."))


def _clean_actions(actions: Any) -> list[dict[str, Any]]:
    return actions_clean(actions, kind="macro", empty=_("A macro needs at least one action."))


@transaction.atomic
def macro_create(
    *,
    actor,
    title: str,
    actions: list,
    description: str = "",
    active: bool = True,
    availability: str | None = None,
    owner=None,
    groups: Iterable[Group] = (),
    position: int = 0,
) -> Macro:
    """A new macro. Without `availability`, an admin's is shared with everyone and an agent's is personal."""
    _check_author(actor)
    if availability is None:
        availability = MacroAvailability.EVERYONE if is_admin(actor) else MacroAvailability.PERSONAL
    if availability == MacroAvailability.PERSONAL and owner is None:
        owner = actor
    groups = list(groups)
    _check_may_save(actor=actor, availability=availability, owner=owner)
    check_access_fields(availability=availability, owner=owner, groups=groups)
    macro = Macro.objects.create(
        title=title_clean(title, missing=_("A macro needs a title.")),
        description=(description or "").strip(),
        active=active,
        availability=availability,
        owner=owner,
        actions=_clean_actions(actions),
        position=position,
        created_by=actor,
    )
    if groups:
        macro.groups.set(groups)
    return macro


@transaction.atomic
def macro_update(
    *,
    macro: Macro,
    actor,
    title: str = UNSET,
    actions: list = UNSET,
    description: str = UNSET,
    active: bool = UNSET,
    availability: str = UNSET,
    owner=UNSET,
    groups: Iterable[Group] = UNSET,
    position: int = UNSET,
) -> Macro:
    """Change only what is given. Moving a macro between personal and shared clears the owner or the groups."""
    _check_author(actor)
    new_groups: list[Group] = []

    def clean(stored: Macro, given: dict[str, Any]) -> dict[str, Any]:
        nonlocal new_groups
        _check_may_change(actor=actor, macro=stored)
        new_availability = stored.availability if availability is UNSET else availability
        new_owner = owner
        if new_owner is UNSET:
            new_owner = stored.owner if new_availability == MacroAvailability.PERSONAL else None
            if new_availability == MacroAvailability.PERSONAL and new_owner is None:
                new_owner = actor
        if groups is UNSET:
            new_groups = list(stored.groups.all()) if new_availability == MacroAvailability.GROUPS else []
        else:
            new_groups = list(groups)
        _check_may_save(actor=actor, availability=new_availability, owner=new_owner)
        check_access_fields(availability=new_availability, owner=new_owner, groups=new_groups)
        values: dict[str, Any] = {"availability": new_availability, "owner": new_owner}
        if "title" in given:
            values["title"] = title_clean(given["title"], missing=_("A macro needs a title."))
        if "actions" in given:
            values["actions"] = _clean_actions(given["actions"])
        if "description" in given:
            values["description"] = (given["description"] or "").strip()
        return values

    given = {"title": title, "actions": actions, "description": description, "active": active, "position": position}
    macro = definition_update(macro, given=given, clean=clean)
    macro.groups.set(new_groups)
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro, actor) -> None:
    _check_author(actor)
    _check_may_change(actor=actor, macro=macro)
    macro.delete()


# --- Using macros ------------------------------------------------------------------------------------------


def _check_available(*, macro: Macro, user) -> None:
    if not selectors.macro_is_available(macro=macro, user=user):
        raise DomainError(_("This macro is not available to you."), field="macro_id")


def macro_preview(*, macro: Macro, ticket: Ticket, user) -> dict[str, Any]:
    """What the macro would set on this ticket, as Zendesk fills the agent's form before they submit. Writes nothing.

    `fields` holds only the fields the macro sets (ids for group and assignee, null to clear); `tags` the operations
    (`set` replaces, then `add`, then `remove`) so a page can apply them to tags the agent already edited, and
    `tags_after` the result on the saved ticket; `comment` the rendered text and whether it is public, or null.
    """
    _check_available(macro=macro, user=user)
    action_plan = action_steps.plan(macro.actions, ticket=ticket, current_user=user, kind="macro")
    changes = action_plan.changes
    fields: dict[str, Any] = {}
    for name in ("status", "priority", "type", "subject"):
        if name in changes:
            fields[name] = changes[name]
    for name in ("group", "assignee"):
        if name in changes:
            fields[f"{name}_id"] = changes[name].pk if changes[name] is not None else None
    for field_id, value in changes.get("custom_fields", {}).items():
        fields[f"custom_fields_{field_id}"] = value
    current_tags = [tag.name for tag in ticket.tag_rows.all()]
    comment = None
    if action_plan.comment is not None:
        comment = {"body": action_plan.comment.body, "public": action_plan.comment.public}
    elif action_plan.comment_public is not None:
        comment = {"body": "", "public": action_plan.comment_public}
    return {
        "macro": {"id": macro.pk, "title": macro.title},
        "ticket_id": ticket.pk,
        "fields": fields,
        "tags": {
            "set": list(changes["tags"]) if "tags" in changes else None,
            "add": list(changes.get("add_tags", [])),
            "remove": list(changes.get("remove_tags", [])),
        },
        "tags_after": tags_after(current_tags, changes),
        "comment": comment,
    }


def _record_applied(*, macro: Macro, ticket: Ticket, user, changes: dict, comment: Comment | None, source: str) -> None:
    events.macro_applied(
        ticket=ticket,
        actor=user,
        macro_id=macro.pk,
        title=macro.title,
        changes=changes,
        comment_id=comment.pk if comment is not None else None,
        source=source,
    )
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1, last_used_at=timezone.now())


def _locked_ticket(ticket: Ticket) -> Ticket:
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "assignee", "group")
        .get(pk=ticket.pk)
    )
    if ticket.status == TicketStatus.CLOSED:
        raise DomainError(_("This ticket is closed and can no longer be changed; create a follow-up instead."))
    return ticket


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, user, source: str = "api") -> Ticket:
    """Apply the macro at once as `user`: its changes and comment in one submit, then `macro.applied` and usage.

    All or nothing: an action that fails (a deleted group, an assignee outside the group...) rolls back the whole
    application. A public comment is an ordinary reply by `user`; on a WhatsApp ticket the channel decides whether it
    can go out (outside the 24-hour window it is kept and fails with `window_closed`). The returned ticket carries
    the comment the macro added as `applied_comment` (None when it added none).
    """
    _check_available(macro=macro, user=user)
    ticket = _locked_ticket(ticket)
    before = ticket_snapshot(ticket)
    last_comment_id = Comment.objects.filter(ticket=ticket).order_by("-id").values_list("id", flat=True).first() or 0
    action_plan = action_steps.plan(macro.actions, ticket=ticket, current_user=user, kind="macro")
    ticket = action_steps.apply(action_plan, ticket=ticket, actor=user, source=source)
    comment = None
    if action_plan.comment is not None:
        # The ticket row is locked until commit, so the newest comment after ours is ours.
        comment = (
            Comment.objects.filter(ticket=ticket, id__gt=last_comment_id, author_user=user).order_by("-id").first()
        )
    _record_applied(
        macro=macro,
        ticket=ticket,
        user=user,
        changes=snapshot_diff(before, ticket_snapshot(Ticket.objects.get(pk=ticket.pk))),
        comment=comment,
        source=source,
    )
    ticket.applied_comment = comment
    return ticket


@transaction.atomic
def macro_page_submit(
    *,
    macros: Iterable[Macro],
    ticket: Ticket,
    user,
    submit: Callable[[], bool],
    subject: str | None = None,
) -> bool:
    """The ticket page's submit after the agent previewed macros (Zendesk's "apply, review, submit").

    `submit()` runs the page's ordinary submit and says whether it saved. When it did, in the same transaction: the
    subject the macro set (the page's form has no subject field), then one `macro.applied` event per macro with what
    the submit changed, and the usage counts. When it did not, nothing is recorded.
    """
    macros = [m for m in macros if selectors.macro_is_available(macro=m, user=user)]
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    before = ticket_snapshot(ticket)
    last_comment_id = Comment.objects.filter(ticket=ticket).order_by("-id").values_list("id", flat=True).first() or 0
    if not submit():
        return False
    subject = " ".join((subject or "").split())
    if subject and macros:
        try:
            with transaction.atomic():  # the submit is saved either way: a refused subject only stays as it was
                ticket_services.ticket_update(ticket=ticket, actor=user, changes={"subject": subject[:255]})
        except DomainError:
            pass
    comment = Comment.objects.filter(ticket=ticket, id__gt=last_comment_id, author_user=user).order_by("-id").first()
    changes = snapshot_diff(before, ticket_snapshot(Ticket.objects.get(pk=ticket.pk)))
    for macro in macros:
        _record_applied(macro=macro, ticket=ticket, user=user, changes=changes, comment=comment, source="web")
    return True
