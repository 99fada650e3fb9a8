"""Fault drills: the next sends fail, are rate limited, delayed or undeliverable, as the tester asked."""

from django.db.models import F
from django.utils.translation import gettext as _

from channels_whatsapp.simulator import phone_messages
from channels_whatsapp.simulator.models import (
    SimulatorFault,
)


def fault_inject(kind: str, *, count: int = 1, delay_seconds: float = 0.0) -> SimulatorFault:
    """The next `count` sends (POST /messages) answer HTTP 500 / HTTP 429 code 130429 / sleep `delay_seconds`
    then answer normally / are accepted and then fail with a 131026 status."""
    if kind not in SimulatorFault.Kind.values:
        raise phone_messages.SimulatorError(
            _("Unknown fault %(kind)r; one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(SimulatorFault.Kind.values)}
        )
    if not 1 <= count <= 1000:
        raise phone_messages.SimulatorError(_("A fault applies to 1 to 1000 sends."))
    if not 0 <= delay_seconds <= 120:
        raise phone_messages.SimulatorError(_("A delay is 0 to 120 seconds."))
    return SimulatorFault.objects.create(kind=kind, remaining=count, delay_seconds=delay_seconds)


def faults_clear() -> int:
    deleted, _rows = SimulatorFault.objects.all().delete()
    return deleted


def fault_take() -> SimulatorFault | None:
    """Consume one use of the oldest pending fault (atomically: two concurrent sends never share one use)."""
    for fault in SimulatorFault.objects.filter(remaining__gt=0).order_by("id")[:5]:
        if SimulatorFault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            SimulatorFault.objects.filter(pk=fault.pk, remaining=0).delete()
            return fault
    return None
