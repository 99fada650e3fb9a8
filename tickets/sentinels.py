"""Markers shared by services across apps."""

from typing import Any

# "Not given" in keyword arguments where None is a value (e.g. clear the group): change only what is given.
UNSET: Any = object()
