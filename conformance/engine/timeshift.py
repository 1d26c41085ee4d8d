"""How far to move a trace's timestamps to replay it on a target's wall clock.

A trace recorded on wall time holds timestamps relative to the now of each of its steps; a
replay later sends them moved by about the time since. Moved by exactly that, two things break:
a record stamped in the last seconds of an hour lands in the next one (its duplicate is no
longer one: a found bug was reported flaky in CI), and a replay sends its steps faster than
the campaign did, so a record stamped at its step's now lands seconds in the future (refused,
where it was accepted). The shift chosen keeps every timestamp's hour relative to the others'
and its side of every edge, as the target's answer to it showed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from conformance.engine.campaign import WALL_CLOCK_TOLERANCE
from conformance.models.checks import hour_of
from conformance.models.profiles import Profile
from conformance.models.requests import MeterUsage, Request, usage_parts
from conformance.reporting.trace import Trace

__all__ = ["wall_clock_shift"]

# How far the shift may differ from the time since the trace.
_MOST_ADJUSTMENT = timedelta(minutes=30)
# How much later in a replay than at its start a step may be sent (a replay sends at once; a
# loaded machine takes a few seconds over a trace).
_REPLAY_PACE = timedelta(seconds=5)
_HOUR = timedelta(hours=1)
_SECOND = timedelta(seconds=1)
_ZERO = timedelta(0)
_REFUSED_FOR_TIME = "TimestampOutOfBoundsException"


@dataclass(frozen=True)
class _Stamp:
    at: datetime  # the timestamp as recorded
    age: timedelta  # its step's now minus it
    into_trace: timedelta  # its step's now minus the trace's start
    window: timedelta
    kept: int  # 1: its request was accepted, -1: refused for a timestamp near an edge, 0: neither

    def edges(self) -> tuple[tuple[timedelta, int], ...]:
        """Each edge of its age that decides an answer, with the side toward the window."""
        return ((_ZERO, 1), (self.window, -1))


def wall_clock_shift(trace: Trace, elapsed: timedelta, profile: Profile) -> timedelta:
    """The shift nearest ``elapsed`` (the time since ``trace.start``, within half an hour of it)
    that keeps, for a replay sending every step within a few seconds of its start:

    - each timestamp's hour, relative to the others' (a duplicate stays one, a new hour new);
    - each age far from an edge (the future, the window) on its side, by more than the wall-clock
      tolerance; an age within the tolerance (where either answer stood) on its own side of the
      edge, or on the side the target's answer took: inside the window if the request was
      accepted, outside it if it was refused for a timestamp and none of its timestamps is
      outside by more than the tolerance (else the refusal stands whatever those do).

    Failing that, the nearest that keeps the hours and lets an age within the tolerance go
    either way; failing that, ``elapsed``. Reads each step's ``observed`` answer as recorded."""
    stamps = list(_stamps(trace, profile))
    hours = [hour_of(s.at) for s in stamps]

    def keeps(shift: timedelta, loose: bool) -> bool:
        moved = {hour_of(s.at + shift) - hour for s, hour in zip(stamps, hours, strict=True)}
        return len(moved) <= 1 and all(_kept(s, shift - elapsed, loose) for s in stamps)

    nearest = sorted(
        (c for c in _candidates(stamps, elapsed) if abs(c - elapsed) <= _MOST_ADJUSTMENT),
        key=lambda c: (abs(c - elapsed), c),
    )
    for loose in (False, True):
        for shift in nearest:
            if keeps(shift, loose):
                return shift
    return elapsed


def _kept(stamp: _Stamp, adjustment: timedelta, loose: bool) -> bool:
    """Whether ``stamp``, moved by ``adjustment`` more than the time since the trace and sent
    anywhere between the replay's start and ``_REPLAY_PACE`` after it, keeps its side of each
    edge."""
    sooner = stamp.age - stamp.into_trace - adjustment  # its age if sent as the replay starts
    for edge, inward in stamp.edges():
        side = _side(stamp.age, edge, WALL_CLOCK_TOLERANCE)
        for age in (sooner, sooner + _REPLAY_PACE):
            if side != 0:
                if _side(age, edge, WALL_CLOCK_TOLERANCE) != side:
                    return False
            elif (
                not loose
                and stamp.kept
                and _sign(age - edge) not in (_sign(stamp.age - edge), inward * stamp.kept)
            ):
                return False
    return True


def _candidates(stamps: list[_Stamp], elapsed: timedelta) -> Iterator[timedelta]:
    """Every shift where :func:`wall_clock_shift`'s test may change (a timestamp meets an hour's
    start, an age meets an edge or its tolerance), a second either side, and ``elapsed``."""
    yield elapsed
    for stamp in stamps:
        start = hour_of(stamp.at + elapsed)
        places = [start - stamp.at, start + _HOUR - stamp.at]
        for edge, _ in stamp.edges():
            for pace in (_ZERO, _REPLAY_PACE):
                for margin in (-WALL_CLOCK_TOLERANCE, _ZERO, WALL_CLOCK_TOLERANCE):
                    # the adjustment at which the age sent ``pace`` late is ``edge + margin``
                    adjustment = stamp.age - stamp.into_trace + pace - edge - margin
                    places.append(elapsed + adjustment)
        for place in places:
            yield from (place - _SECOND, place, place + _SECOND)


def _stamps(trace: Trace, profile: Profile) -> Iterator[_Stamp]:
    for step in trace.steps:
        if step.request is None:
            continue
        window = profile.meter_window if isinstance(step.request, MeterUsage) else profile.batch_window
        stamps = [
            _Stamp(at, step.now - at, step.now - trace.start, window, 0) for at in _timestamps(step.request)
        ]
        if step.observed.startswith("200"):
            kept = 1
        elif _REFUSED_FOR_TIME in step.observed and not any(map(_far_outside, stamps)):
            kept = -1  # refused for a timestamp within the tolerance: all of them stay outside
        else:
            kept = 0  # refused for something else, or for a timestamp far outside
        yield from (replace(stamp, kept=kept) for stamp in stamps)


def _far_outside(stamp: _Stamp) -> bool:
    """In the future, or past the window, by more than the wall-clock tolerance."""
    return (
        _side(stamp.age, _ZERO, WALL_CLOCK_TOLERANCE) < 0
        or _side(stamp.age, stamp.window, WALL_CLOCK_TOLERANCE) > 0
    )


def _timestamps(request: Request) -> list[datetime]:
    return [part.timestamp for part in usage_parts(request) if part.timestamp is not None]


def _side(age: timedelta, edge: timedelta, tolerance: timedelta) -> int:
    """-1 younger than ``edge`` by more than ``tolerance``, 1 older by more, 0 within it."""
    return -1 if age < edge - tolerance else 1 if age > edge + tolerance else 0


def _sign(delta: timedelta) -> int:
    return (delta > _ZERO) - (delta < _ZERO)
