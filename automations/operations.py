"""The one action the rules add to the shared implementation (`macros.actions`): Zendesk's `notification_group`.

`["group_id" | <group id>, subject, body]` e-mails every active member of the ticket's group (``"group_id"``) or of
the group named by id. It is planned as one `notification_user` per member, so the rules engine sends it like any
other notification. Registered in `AutomationsConfig.ready()`.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.conditions.model import digits
from macros.actions.fields import register_action
from macros.actions.model import ActionError, ActionHandler
from tickets.models import Group

TICKET_GROUP = "group_id"


def _clean(value: Any, kind: Any) -> list[Any]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ActionError(_("%(value)s is not [group, subject, body].") % {"value": repr(value)})
    target, subject, body = value
    if isinstance(target, str) and target.strip() == TICKET_GROUP:
        target = TICKET_GROUP
    elif isinstance(target, int) and not isinstance(target, bool) and target > 0:
        target = str(target)
    elif isinstance(target, str) and digits(target.strip()) and int(target) > 0:
        target = str(int(target))
    else:
        raise ActionError(
            _('the group %(group)s is not "group_id" (the ticket\'s group) or a group id.') % {"group": repr(target)}
        )
    if not isinstance(subject, str) or not isinstance(body, str):
        raise ActionError(_("the subject and the body must be texts."))
    if not body.strip():
        raise ActionError(_("the notification's body is empty."))
    return [target, subject, body]


def _check(value: list[Any]) -> None:
    if value[0] != TICKET_GROUP and not Group.objects.filter(pk=int(value[0])).exists():
        raise ActionError(_("group %(id)s does not exist.") % {"id": value[0]})


def _plan(builder: Any, value: list[Any]) -> None:
    target, subject, body = value
    if target == TICKET_GROUP:
        group = builder.changes.get("group", builder.ticket.group)
    else:
        group = Group.objects.filter(pk=int(target)).first()
    if group is None:
        return  # no group: nobody to tell, as Zendesk
    subject, body = builder.render(subject), builder.render(body)
    for member_id in group.members.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        builder.notifications.append((str(member_id), subject, body))


def register() -> None:
    register_action(
        ActionHandler(
            "notification_group",
            _clean,
            _plan,
            check=_check,
            texts=lambda v: [t for t in v[1:] if isinstance(t, str)] if isinstance(v, list | tuple) else [],
            kinds=("trigger", "automation", None),
            refused=gettext_lazy("notification_group is for triggers and automations."),
        )
    )
