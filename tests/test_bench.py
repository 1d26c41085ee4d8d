"""``conformance bench speed``: the figures are computed from what the run recorded (no timing
is asserted here: timings belong in BENCHMARKS.md)."""

from __future__ import annotations

import pytest

from conformance.cli import main
from conformance.engine.runner import RunConfig
from conformance.lab.bench import SpeedRow, _measure, render_speed
from conformance.models.profiles import get_profile
from conformance.targets import TargetOptions


def test_a_target_row_counts_every_request_and_replays_exactly_them():
    config = RunConfig(
        TargetOptions("reference"), get_profile("2025-01"), ("BMU-WINDOW", "RU-SIGNATURE"), "quick", 3, 1
    )
    row = _measure(config)
    assert row.target == "reference" and row.requests > 10
    assert 0 < row.invoke_seconds < row.seconds and row.replay_seconds > 0
    assert row.harness_ms > 0 and row.peak_rss_mb > 10
    table = render_speed([row])
    assert table.splitlines()[2].startswith(f"| reference | {row.requests} |")


def test_derived_figures():
    row = SpeedRow("t", requests=100, seconds=2.0, invoke_seconds=0.5, median_invoke_ms=4.0,
                   replay_seconds=0.8, peak_rss_mb=90.0)  # fmt: skip
    assert row.per_second == 50 and row.harness_ms == 15.0 and row.overhead == 2.5


def test_an_unknown_bench_target_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["bench", "speed", "--targets", "reference,nope"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'nope'" in err
