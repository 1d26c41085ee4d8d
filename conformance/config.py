"""What a run is asked to do, built once from the command line or the pytest plugin's options
and handed down as is: the engine, the campaigns and the report read it, no layer re-parses it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.models.catalogue import rules_for
from conformance.models.profiles import Profile
from conformance.models.rule_ids import RuleId
from conformance.targets import TargetOptions

__all__ = ["RunConfig", "duration_seconds", "is_duration"]

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def duration_seconds(text: str) -> int | None:
    """The seconds ``text`` gives (``45s``, ``10m``, ``2h``, ``1h30m``), None if it is none."""
    found = _DURATION.fullmatch(text)
    if not text or found is None:
        return None
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    total = 3600 * hours + 60 * minutes + seconds
    return total or None


def is_duration(budget: str) -> bool:
    """Whether ``budget`` is a duration (``90s``, ``10m``, ``1h30m``) rather than a level."""
    return duration_seconds(budget) is not None  # no level (quick, standard, deep) reads as one


@dataclass(frozen=True)
class RunConfig:
    """``profile``: the API version judged, with no default (a forgotten one would silently
    judge another API). ``faults``: the rate of faults injected between the harness and the
    target (``FaultRates.spread``; 0 for none), which each campaign draws its own from."""

    target: TargetOptions
    profile: Profile
    rules: tuple[RuleId, ...] | None = None
    budget: str = "standard"
    seed: int = 0
    workers: int = 1
    faults: float = 0.0
    corpus: str | None = None
    """Where failing examples are saved and replayed first (``--corpus``: a directory or a
    ``redis://`` URL; :mod:`conformance.engine.corpus`)."""
    shared_corpus: tuple[str, ...] = ()
    """Corpora replayed first but never written (``--shared-corpus``)."""

    def rule_ids(self) -> list[RuleId]:
        """The rules to run, in catalogue order: ``rules``, or every rule of the profile."""
        ids = [rule.id for rule in rules_for(self.profile.name)]
        return [r for r in ids if r in self.rules] if self.rules else ids
