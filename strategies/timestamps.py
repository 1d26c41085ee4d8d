"""Timestamps and clock moves around every edge a rule cares about, relative to ``now``.

Each strategy here is built once per arguments (``lru_cache``): Hypothesis validates every new
strategy object, which cost more than drawing from it, and one object draws the same values
from the same choices.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from hypothesis import strategies as st

from conformance.models.model import hour_of
from conformance.models.profiles import Profile

__all__ = ["clock_moves", "edge_timestamps", "inside_timestamps", "timestamps"]

SECOND = timedelta(seconds=1)


def _specials(
    profile: Profile, operation: str, now: datetime
) -> tuple[list[datetime], list[datetime], timedelta]:
    window = profile.meter_window if operation == "MeterUsage" else profile.batch_window
    edge = now - window
    hour = hour_of(now)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    inside = [hour, now, edge + SECOND, hour - SECOND, hour - timedelta(hours=1)]
    edges = [
        edge,
        edge - SECOND,
        # past the edge by more than a wall-clock target's tolerance (engine.campaign): there the
        # two seconds above decide nothing, and a window minutes or an hour too long shows here
        edge - timedelta(minutes=1),
        edge - timedelta(minutes=30),
        now + SECOND,
        now + timedelta(hours=1),
        month_start - SECOND,
        month_start,
        now - 2 * window,
    ]
    return list(dict.fromkeys(inside)), list(dict.fromkeys(edges)), window


@lru_cache(maxsize=512)
def inside_timestamps(profile: Profile, operation: str, now: datetime) -> st.SearchStrategy[datetime]:
    """Timestamps strictly inside the window (never at the edge, never in the future): the
    start of the current hour, now, one second inside the edge, either side of the previous hour
    boundary, then any second inside; one second inside the edge a third of the time. Shrinks
    toward the start of the current hour."""
    inside, _, window = _specials(profile, operation, now)
    anywhere = st.integers(0, int(window.total_seconds()) - 1).map(lambda s: now - timedelta(seconds=s))
    return st.one_of(st.sampled_from(inside), st.just(now - window + SECOND), anywhere)


@lru_cache(maxsize=512)
def edge_timestamps(profile: Profile, operation: str, now: datetime) -> st.SearchStrategy[datetime]:
    """Timestamps a window rule decides: exactly at the edge, one second, one minute and half an
    hour past it, one second and one hour in the future, the last second of the previous month
    and the first of this one, and far in the past; the edge and one second past it (and, early
    in a month, the previous month's last second) as often as all the others together: an
    off-by-one-second window or month-end cutoff shows only there. Shrinks toward the edge;
    among refused values (2025-01), toward one second past the edge."""
    _, edges, window = _specials(profile, operation, now)
    sharp = edges[:2]
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if operation == "BatchMeterUsage" and profile.month_end_cutoff and now - month_start < window:
        sharp.append(month_start - SECOND)  # inside the window, and of the previous month
    # one list, so a shrink walks it toward the edge: the sharp values repeated weigh as much
    # as all the others
    return st.sampled_from([*sharp * 3, *edges])


@lru_cache(maxsize=512)
def timestamps(profile: Profile, operation: str, now: datetime) -> st.SearchStrategy[datetime]:
    """Every timestamp of :func:`inside_timestamps` and :func:`edge_timestamps`, in one list:
    shrinks toward the start of the current hour; among out-of-window values, toward one
    second past the edge."""
    inside, edges, window = _specials(profile, operation, now)
    anywhere = st.integers(0, int(window.total_seconds())).map(lambda s: now - timedelta(seconds=s))
    return st.one_of(
        st.sampled_from(list(dict.fromkeys(inside[:3] + edges[:2] + inside[3:] + edges[2:]))), anywhere
    )


@lru_cache(maxsize=512)
def clock_moves(profile: Profile, now: datetime, month_end: bool = False) -> st.SearchStrategy[datetime]:
    """The next ``now``: never earlier. Covers staying put, +1 s, to the next hour boundary
    (and 1 s before it), +1 h, + the window, and 05:59:59 / 06:00:00 / 06:00:01 / 06:30:00 UTC on
    the first of the next month; with ``month_end`` (and a profile with a month-end cutoff),
    half the moves go to the last three of those. Shrinks toward not moving."""
    next_hour = hour_of(now) + timedelta(hours=1)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (month + timedelta(days=32)).replace(day=1)
    cutoff = next_month + (profile.month_end_cutoff or timedelta(hours=6))
    moves = [
        now,
        now + SECOND,
        next_hour - SECOND,
        next_hour,
        now + timedelta(hours=1),
        now + profile.batch_window,
        cutoff - SECOND,
        cutoff,
        cutoff + SECOND,
        cutoff + timedelta(minutes=30),
    ]
    if month_end and profile.month_end_cutoff is not None:
        return st.one_of(st.sampled_from(moves), st.sampled_from(moves[-3:]))
    return st.sampled_from(moves)
