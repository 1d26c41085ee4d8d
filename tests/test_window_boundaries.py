"""The timestamp window at its exact edges, for both profiles and both operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conformance.models import Accept, ProcessBatch, Reject, get_profile, window_position
from tests.conftest import NOW
from tests.helpers import CALLER, SELLER, batch, meter, rec
from tests.rulecases import fires, silent

SECOND = timedelta(seconds=1)

# (profile, operation, window, edge accepted)
EDGES = [
    ("2025-01", "MeterUsage", timedelta(hours=6), True),
    ("2025-01", "BatchMeterUsage", timedelta(hours=6), True),
    ("2026-11", "MeterUsage", timedelta(hours=6), False),
    ("2026-11", "BatchMeterUsage", timedelta(hours=24), False),
]


@pytest.mark.parametrize(("profile", "operation", "window", "edge_accepted"), EDGES)
def test_window_edges(profile, operation, window, edge_accepted):
    p = get_profile(profile)
    assert window_position(p, operation, NOW - window + SECOND, NOW) == "inside"
    assert window_position(p, operation, NOW - window, NOW) == ("inside" if edge_accepted else "outside")
    assert window_position(p, operation, NOW - window - SECOND, NOW) == "outside"
    assert window_position(p, operation, NOW + SECOND, NOW) == "future"


@fires("MU-WINDOW")
@pytest.mark.parametrize("profile", ["2025-01", "2026-11"])
def test_meter_usage_one_second_past_the_edge(profile, request, world):
    model = request.getfixturevalue("model" if profile == "2025-01" else "model26")
    allowed = model.allowed(model.initial(world), meter(age=timedelta(hours=6, seconds=1)), CALLER, NOW)
    assert allowed.alternatives == (Reject("MU-WINDOW", frozenset({"TimestampOutOfBoundsException"})),)


@fires("MU-WINDOW")
def test_meter_usage_exactly_at_the_edge_in_2025(model, world):
    """Accepted, and the window rule decides it: a service that refuses the edge breaks MU-WINDOW."""
    allowed = model.allowed(model.initial(world), meter(age=timedelta(hours=6)), CALLER, NOW)
    assert [(type(a), a.rule) for a in allowed.alternatives] == [(Accept, "MU-WINDOW")]


@silent("MU-WINDOW")
def test_meter_usage_one_second_inside_the_edge(model, world):
    allowed = model.allowed(
        model.initial(world), meter(age=timedelta(hours=5, minutes=59, seconds=59)), CALLER, NOW
    )
    assert [type(a) for a in allowed.alternatives] == [Accept] and "MU-WINDOW" not in allowed.decided


@fires("BMU-WINDOW")
def test_batch_exactly_at_the_edge_in_2025(model, world):
    """Accepted with Success, decided by the window rule."""
    allowed = model.allowed(model.initial(world), batch(rec(age=timedelta(hours=6))), SELLER, NOW)
    (process,) = allowed.alternatives
    assert isinstance(process, ProcessBatch)
    assert [o.rule for o in process.records[0].options] == ["BMU-WINDOW"]


@fires("MU-WINDOW")
def test_meter_usage_exactly_at_the_edge_in_2026(model26, world):
    allowed = model26.allowed(model26.initial(world), meter(age=timedelta(hours=6)), CALLER, NOW)
    assert allowed.decided == {"MU-WINDOW"}


@fires("BMU-WINDOW")
def test_batch_six_hours_and_one_second_in_2025(model, world):
    """The issue's acceptance case: one record 6 h + 1 s old, profile 2025-01."""
    allowed = model.allowed(model.initial(world), batch(rec(age=timedelta(hours=6, seconds=1))), SELLER, NOW)
    assert allowed.alternatives == (Reject("BMU-WINDOW", frozenset({"TimestampOutOfBoundsException"})),)


@silent("BMU-WINDOW")
@pytest.mark.parametrize("age", [timedelta(hours=6), timedelta(hours=24) - SECOND])
def test_batch_edges_that_are_inside(age, model, model26, world):
    chosen = model if age == timedelta(hours=6) else model26
    allowed = chosen.allowed(chosen.initial(world), batch(rec(age=age)), SELLER, NOW)
    # accepted: no refusal for the window (at the exact 2025-01 edge BMU-WINDOW decides the Success)
    assert not _window_refusals(allowed) and isinstance(allowed.alternatives[-1], ProcessBatch)


@fires("BMU-WINDOW")
def test_batch_24_hours_in_2026_and_7_hours_in_2025(model, model26, world):
    at_edge = model26.allowed(model26.initial(world), batch(rec(age=timedelta(hours=24))), SELLER, NOW)
    assert at_edge.decided == {"BMU-WINDOW", "BMU-API-ENABLED"}
    seven = batch(rec(age=timedelta(hours=7)))
    assert model.allowed(model.initial(world), seven, SELLER, NOW).decided == {
        "BMU-WINDOW",
        "BMU-API-ENABLED",
    }
    assert "BMU-WINDOW" not in model26.allowed(model26.initial(world), seven, SELLER, NOW).decided


MONTH_START = datetime(2026, 12, 1, tzinfo=UTC)
LAST_SECOND_OF_NOVEMBER = MONTH_START - SECOND


@fires("BMU-WINDOW")
@pytest.mark.parametrize(
    "now", [MONTH_START + timedelta(hours=6), MONTH_START + timedelta(hours=6, seconds=1)]
)
def test_month_end_cutoff_refuses_last_month_from_six_am(now, model26, world):
    record = rec(age=now - LAST_SECOND_OF_NOVEMBER, now=now)
    allowed = model26.allowed(model26.initial(world), batch(record), SELLER, now)
    assert allowed.alternatives == (Reject("BMU-WINDOW", frozenset({"TimestampOutOfBoundsException"})),)


@silent("BMU-WINDOW")
def test_month_end_cutoff_not_reached_at_05_59_59(model26, world):
    now = MONTH_START + timedelta(hours=6) - SECOND
    record = rec(age=now - LAST_SECOND_OF_NOVEMBER, now=now)
    allowed = model26.allowed(model26.initial(world), batch(record), SELLER, now)
    assert allowed.decided == {"BMU-ACCEPT", "BMU-PARTITION", "BMU-API-ENABLED"}


@silent("BMU-WINDOW")
def test_month_end_cutoff_spares_this_months_records(model26, world):
    now = MONTH_START + timedelta(hours=7)
    allowed = model26.allowed(
        model26.initial(world), batch(rec(age=timedelta(hours=6, minutes=59), now=now)), SELLER, now
    )
    assert "BMU-WINDOW" not in allowed.decided


def test_month_end_cutoff_is_not_part_of_2025(model, world):
    """In 2025-01 only the 6 h window applies: at 06:00:00 a record of 00:00:00 is exactly 6 h old."""
    now = MONTH_START + timedelta(hours=6)
    inside = model.allowed(model.initial(world), batch(rec(age=timedelta(hours=6), now=now)), SELLER, now)
    assert not _window_refusals(inside) and isinstance(inside.alternatives[-1], ProcessBatch)
    last_month = model.allowed(
        model.initial(world), batch(rec(age=now - LAST_SECOND_OF_NOVEMBER, now=now)), SELLER, now
    )
    assert last_month.decided == {
        "BMU-WINDOW",
        "BMU-API-ENABLED",
    }  # 6 h + 1 s old: the window, not a month rule


def _window_refusals(allowed):
    return [a for a in allowed.alternatives if isinstance(a, Reject) and a.rule == "BMU-WINDOW"]


def test_a_model_with_clock_tolerance_lets_either_answer_stand_near_an_edge(model, world):
    """For a target on wall time: its clock may differ from the model's by a second or two."""
    from dataclasses import replace

    tolerant = replace(model, clock_tolerance=2 * SECOND)
    state = tolerant.initial(world)

    def refusals(age):
        allowed = tolerant.allowed(state, batch(rec(age=age)), SELLER, NOW)
        return [a for a in allowed.alternatives if isinstance(a, Reject)], allowed.alternatives

    near, alternatives = refusals(timedelta(hours=6) - SECOND)  # inside for the model
    assert [r.rule for r in near] == ["BMU-WINDOW"] and isinstance(alternatives[-1], ProcessBatch)
    _, alternatives = refusals(timedelta(hours=6, seconds=3))  # outside for any clock within 2 s
    assert alternatives == (Reject("BMU-WINDOW", frozenset({"TimestampOutOfBoundsException"})),)
    assert refusals(timedelta(hours=5))[0] == []
