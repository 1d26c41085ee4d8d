"""What an operation's rules read of the model: a protocol, so that ``model.py`` (which
dispatches to ``meter``, ``batch``, ``resolve`` and ``register``) and those modules do not
import each other, not even for type checking."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from .profiles import Profile
from .shapes import ShapeIndex

__all__ = ["ModelView"]


class ModelView(Protocol):
    """The profile judged, the shapes of its pinned service model, and how far a target's clock
    may be from the ``now`` it is judged at. :class:`~conformance.models.model.Model` is one."""

    @property
    def profile(self) -> Profile: ...

    @property
    def shapes(self) -> ShapeIndex: ...

    @property
    def clock_tolerance(self) -> timedelta: ...
