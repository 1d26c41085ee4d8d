"""The shift of a trace's timestamps for a replay on a target's wall clock
(``engine.replay.wall_clock_shift``): records keep their hours and their side of each edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conformance.engine.timeshift import wall_clock_shift
from conformance.models import Fixtures
from conformance.models.checks import hour_of
from conformance.models.profiles import PROFILES
from conformance.models.requests import BatchMeterUsage, CallContext, MeterUsage, UsageRecord
from conformance.reporting.trace import Trace, TraceStep

PROFILE = PROFILES["2025-01"]
NOW = datetime(2026, 12, 6, 7, 59, 50, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


ACCEPTED = "200 with 1 results, 0 unprocessed"
REFUSED = "400 TimestampOutOfBoundsException: Timestamp is outside the window"


def _step(now: datetime, request: MeterUsage | BatchMeterUsage, observed: str = ACCEPTED) -> TraceStep:
    return TraceStep("request", now, request, CallContext(None), observed=observed)


def _trace(*stamps: datetime, meter: datetime | None = None, observed: str = ACCEPTED) -> Trace:
    records = tuple(UsageRecord(t, "users", "cust-acme", quantity=n) for n, t in enumerate(stamps))
    steps = [_step(NOW, BatchMeterUsage("prod-saas", records), observed)]
    if meter is not None:
        steps.append(_step(NOW, MeterUsage("prod-saas", meter, "users"), REFUSED))
    return Trace("BMU-DUPLICATE", "2025-01", "endpoint", 1, Fixtures(), NOW, False, tuple(steps), ())


def _hours(trace: Trace, shift: timedelta) -> list[datetime]:
    return [
        hour_of(r.timestamp + shift) for s in trace.steps for r in getattr(s.request, "usage_records", ())
    ]


def test_the_time_since_the_trace_when_it_keeps_every_hour():
    trace = _trace(NOW.replace(minute=10), NOW.replace(minute=20))
    assert wall_clock_shift(trace, timedelta(seconds=40), PROFILE) == timedelta(seconds=40)


def test_a_record_at_the_end_of_its_hour_stays_in_it():
    """Replayed a minute later, 07:59:50 and 07:00:00 stay one hour: the shift is at most 9 s."""
    trace = _trace(NOW, NOW.replace(minute=0, second=0))
    shift = wall_clock_shift(trace, MINUTE, PROFILE)
    assert shift <= timedelta(seconds=9)
    assert len(set(_hours(trace, shift))) == 1
    assert shift == timedelta(seconds=9)  # the nearest such shift to the minute that passed


def test_a_timestamp_past_the_window_stays_past_it():
    """A MeterUsage timestamp 1 min past the window keeps being past it by more than the
    tolerance: the shift may not make it younger than the edge plus 15 s."""
    past = NOW - PROFILE.meter_window - MINUTE
    trace = _trace(NOW.replace(minute=0, second=0), meter=past)
    for elapsed in (timedelta(seconds=5), MINUTE, 10 * MINUTE):
        shift = wall_clock_shift(trace, elapsed, PROFILE)
        age = NOW + elapsed - (past + shift)
        assert age > PROFILE.meter_window + timedelta(seconds=15), (elapsed, shift)


def test_the_time_since_the_trace_when_nothing_keeps_the_trace():
    """07:59:50, 07:00:00 and 30 s in the future, a minute later: the first stays in its hour
    only if the shift is at most 9 s, the third stays in the future only if it is over 45 s."""
    trace = _trace(NOW, NOW.replace(minute=0, second=0), NOW + timedelta(seconds=30))
    assert wall_clock_shift(trace, MINUTE, PROFILE) == MINUTE


def test_a_timestamp_at_the_edge_may_leave_the_window_to_keep_the_hours():
    """07:59:50 and 07:00:00 must stay one hour; a third record exactly at the window's edge
    (either answer stood) goes past it rather than break the duplicate."""
    trace = _trace(NOW, NOW.replace(minute=0, second=0), NOW - PROFILE.batch_window)
    shift = wall_clock_shift(trace, MINUTE, PROFILE)
    assert shift == timedelta(seconds=9)
    assert len(set(_hours(trace, shift)[:2])) == 1


def test_a_record_stamped_at_its_step_s_now_is_not_sent_into_the_future():
    """The campaign sent its step 3 s after the trace began; a replay sends it at once: moved by
    the time since the trace, the record would be 3 s in the future (refused, where it was
    accepted). The shift is 3 s shorter, and its hour still the same."""
    early = NOW.replace(minute=10)
    later = early + timedelta(seconds=3)
    steps = (
        _step(early, MeterUsage("prod-saas", early - MINUTE, "users")),
        _step(later, MeterUsage("prod-saas", later, "gb-stored")),
    )
    trace = Trace("MU-ACCEPT", "2025-01", "endpoint", 1, Fixtures(), early, False, steps, ())
    assert wall_clock_shift(trace, timedelta(seconds=20), PROFILE) == timedelta(seconds=17)


def test_a_record_at_the_edge_keeps_the_side_the_target_answered():
    """A batch at exactly the window's edge, then a record stamped at its step's now 2 s into
    the trace. Refused, the batch may only get older, which the second record needs too: the
    shift is 2 s shorter. Accepted, it may only get younger, which the second record forbids:
    only the loose rule is left, and the shift is the time since the trace."""
    edge = NOW.replace(minute=10) - PROFILE.batch_window
    later = NOW.replace(minute=10) + timedelta(seconds=2)

    def trace(observed: str) -> Trace:
        steps = (
            _step(
                NOW.replace(minute=10),
                BatchMeterUsage("prod-saas", (UsageRecord(edge, "users", "cust-acme"),)),
                observed,
            ),
            _step(later, MeterUsage("prod-saas", later, "gb-stored")),
        )
        return Trace(
            "BMU-WINDOW", "2025-01", "endpoint", 1, Fixtures(), NOW.replace(minute=10), False, steps, ()
        )

    elapsed = timedelta(seconds=20)
    assert wall_clock_shift(trace(REFUSED), elapsed, PROFILE) == timedelta(seconds=18)
    assert wall_clock_shift(trace(ACCEPTED), elapsed, PROFILE) == elapsed


def test_a_timestamp_beside_one_far_outside_may_go_either_way():
    """A batch refused for a record an hour past the window also held one stamped at its now:
    the refusal stands whatever that one does, so it does not stop the later record (stamped at
    its step's now, 2 s in) from getting older."""
    start = NOW.replace(minute=10)
    later = start + timedelta(seconds=2)
    refused = BatchMeterUsage(
        "prod-saas",
        (
            UsageRecord(start - PROFILE.batch_window - 60 * MINUTE, "users", "cust-acme"),
            UsageRecord(start, "users", "cust-acme"),
        ),
    )
    steps = (_step(start, refused, REFUSED), _step(later, MeterUsage("prod-saas", later, "gb-stored")))
    trace = Trace("BMU-WINDOW", "2025-01", "endpoint", 1, Fixtures(), start, False, steps, ())
    assert wall_clock_shift(trace, timedelta(seconds=20), PROFILE) == timedelta(seconds=18)
