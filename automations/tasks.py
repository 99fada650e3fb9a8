"""django-q2 task entry points: call a service, return a line for the task's result in admin."""

from automations import sweep


def run_automations() -> str:
    """Hourly (schedule "automations-hourly", created by migration): one automation sweep."""
    return str(sweep.run_automations())
