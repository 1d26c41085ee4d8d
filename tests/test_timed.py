"""Runs on a duration (``--budget 10m``): every rule's verdict first, as the quick budget gives
it, then the time to the rules still finding new behaviours; failures given at once; the report
says how the time went."""

from __future__ import annotations

import json
from concurrent.futures import Future

import pytest

from conformance.cli import main
from conformance.engine.budget import duration_seconds, is_duration
from conformance.engine.runner import RunConfig, run
from conformance.engine.timed import REACH_SLICES, RuleTime, Slice, at_once, run_on_duration
from conformance.lab.mutation import certify
from conformance.models.profiles import get_profile
from conformance.options import OptionError, parse_budget
from conformance.reporting.results import RuleResult, Verdict
from conformance.targets import TargetOptions


class _Clock:
    """A clock the fake slices move: each slice costs ``cost`` seconds."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _scripted(clock: _Clock, script, cost: float = 1.0):
    """A submit whose slice k of a rule answers ``script(rule, k)``: (verdict, exercised,
    behaviours); it logs every slice it is asked for."""
    log: list[tuple[str, Slice]] = []

    def run_slice(rule: str, part: Slice) -> RuleResult:
        log.append((rule, part))
        clock.now += cost
        verdict, exercised, behaviours = script(rule, part.number)
        return RuleResult(rule, verdict, exercised, seconds=cost, slices=1, behaviours=tuple(behaviours))

    return at_once(run_slice), log


def test_durations_parse_and_levels_stay_levels():
    assert [duration_seconds(t) for t in ("90s", "10m", "1h30m", "2h", "1m30s")] == [90, 600, 5400, 7200, 90]
    for text in ("", "0s", "10", "m", "quick", "10 m", "-5s", "1.5m"):
        assert duration_seconds(text) is None, text
    assert not is_duration("quick") and is_duration("45s")
    assert parse_budget("10m") == "10m" and parse_budget("deep") == "deep"
    with pytest.raises(OptionError, match="'ten' is not a budget; use one of deep, quick, standard, or a"):
        parse_budget("ten")


def test_every_rule_gets_its_verdict_first_and_an_unreached_rule_its_quick_rounds():
    clock = _Clock()

    def script(rule, number):
        if rule == "HARD":  # reached only by its fourth slice, as a rule needing state may be
            return (Verdict.PASS, 1, [("b", 1)]) if number == 3 else (Verdict.NOT_REACHED, 0, [("a", 3)])
        return Verdict.PASS, 5, [(f"{rule}-{number}", 1)]

    submit, log = _scripted(clock, script)
    # no time at all: only what the verdicts are owed
    results = {r.id: r for r in run_on_duration(["EASY", "HARD", "OTHER"], 0.5, submit, clock=clock)}
    assert [(rule, part.number) for rule, part in log][:3] == [("EASY", 0), ("HARD", 0), ("OTHER", 0)]
    assert [part.number for rule, part in log if rule == "HARD"] == [0, 1, 2, 3]
    assert all(part.owed for _, part in log)  # as long as the quick budget's rounds
    assert results["HARD"].verdict == Verdict.PASS and results["HARD"].slices == 4
    assert results["EASY"].slices == 1 and results["OTHER"].slices == 1


def test_a_rule_never_reached_gets_five_slices_and_is_reported_not_reached():
    clock = _Clock()
    submit, log = _scripted(clock, lambda rule, n: (Verdict.NOT_REACHED, 0, [("a", 2)]))
    (result,) = run_on_duration(["NEVER"], 0.0, submit, clock=clock)
    assert len(log) == REACH_SLICES == result.slices and result.verdict == Verdict.NOT_REACHED


def test_a_failure_is_given_at_once_and_its_rule_gets_no_more_time():
    clock = _Clock()

    def script(rule, number):
        if rule == "BROKEN" and number == 2:
            return Verdict.FAIL, 1, [("x", 1)]
        return Verdict.PASS, 1, [(f"{rule}-{number}", 1)]  # always new: always worth more time

    submit, log = _scripted(clock, script)
    given = []
    for result in run_on_duration(["BROKEN", "FINE"], 20, submit, clock=clock):
        given.append((result.id, result.verdict, clock.now))
    assert given[0][:2] == ("BROKEN", Verdict.FAIL)
    assert given[0][2] < 20  # before the time was up
    assert [part.number for rule, part in log if rule == "BROKEN"] == [0, 1, 2]
    assert given[1][:2] == ("FINE", Verdict.PASS)
    assert given[0][0] == "BROKEN"
    broken = next(r for r in run_on_duration(["BROKEN"], 20, _scripted(_Clock(), script)[0], clock=_Clock()))
    assert broken.exercised == 3 and broken.slices == 3  # its passing slices' decided requests count too


def test_the_time_goes_to_the_rule_still_finding_new_behaviours():
    clock = _Clock()

    def script(rule, number):
        if rule == "CURIOUS" and number < 10:
            return Verdict.PASS, 1, [(f"new-{number}", 1)]  # a behaviour never seen, ten slices running
        return Verdict.PASS, 1, [("same", 4)]  # the same behaviour, over and over

    submit, log = _scripted(clock, script)
    results = {r.id: r for r in run_on_duration(["STALE", "CURIOUS"], 40, submit, clock=clock)}
    stale, curious = results["STALE"].slices, results["CURIOUS"].slices
    assert curious > 3 * stale, (curious, stale)
    # once the curious rule finds less, the stale one gets time again: one is added to what it saw once
    assert stale >= 2
    assert all(not part.owed for _, part in log[2:])  # past the owed slices, every slice is short
    assert len(results["CURIOUS"].behaviours) == 11


def test_the_estimate_is_behaviours_seen_once_per_second():
    spent = RuleTime("R")
    spent.add(RuleResult("R", Verdict.PASS, 1, seconds=2.0, behaviours=(("a", 1), ("b", 1), ("c", 5))))
    assert spent.rate() == pytest.approx((2 + 1) / 2.0)
    spent.add(RuleResult("R", Verdict.PASS, 1, seconds=2.0, behaviours=(("a", 1),)))
    assert spent.rate() == pytest.approx((1 + 1) / 4.0)  # "a" is seen twice now


def test_a_pool_runs_the_slices_as_the_scheduler_asks():
    submitted = []

    def submit(rule, part):
        submitted.append(rule)
        done: Future[RuleResult] = Future()
        done.set_result(RuleResult(rule, Verdict.PASS, 1, seconds=0.01, behaviours=(("a", 1),)))
        return done

    results = list(run_on_duration(["A", "B", "C"], 0.0, submit, workers=2))
    assert sorted(r.id for r in results) == ["A", "B", "C"] and submitted[:3] == ["A", "B", "C"]


RULES = ("MU-QUANTITY-DEFAULT", "BMU-WINDOW", "RC-RESOLVE")


def test_a_run_on_a_duration_gives_the_quick_budgets_verdicts_however_short():
    # MU-QUANTITY-DEFAULT is reached only in the quick budget's third round with seed 1
    config = RunConfig(TargetOptions("reference"), get_profile("2026-11"), RULES, "quick", 1, 1)
    quick = {r.id: (r.verdict, r.exercised) for r in run(config, workers=1)}
    timed = run(RunConfig(config.target, config.profile, RULES, "1s", 1, 1), workers=1)
    assert {r.id: (r.verdict, r.exercised) for r in timed} == quick
    assert {r.id: r.slices for r in timed}["MU-QUANTITY-DEFAULT"] > 1


def test_a_mutant_is_killed_on_a_duration_with_its_time_to_kill():
    certified = certify("batch-window-hour-long", "2026-11", 1, "5s")
    assert certified.failed == ("BMU-WINDOW",)
    assert certified.first_seconds is not None and 0 < certified.first_seconds < 5
    assert certified.first_steps == 1


def test_the_cli_spends_the_duration_and_the_report_says_how(tmp_path, capsys):
    report = tmp_path / "report"
    argv = ["run", "--target", "reference", "--budget", "4s", "--seed", "2",
            "--rules", "BMU-WINDOW,RC-RESOLVE", "--workers", "2", "--report", str(report)]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "budget 4s" in out and " slices, " in out
    data = json.loads((report / "report.json").read_text())
    assert data["budget"] == "4s"
    rules = {r["id"]: r for r in data["rules"]}
    assert sum(r["slices"] for r in rules.values()) > 2  # time was left after the first verdicts
    assert all(r["behaviours"] >= 1 and r["seconds"] > 0 for r in rules.values())
    assert 3.5 < sum(r["seconds"] for r in rules.values()) < 4 * 2 + 10  # two workers spent it, then stopped
    markdown = (report / "report.md").read_text()
    assert "**How the 4s went**" in markdown
    assert "| Rule | Seconds | Share | Slices | Behaviours |" in markdown


def test_a_bad_duration_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as ended:
        main(["run", "--target", "reference", "--budget", "10 minutes"])
    assert ended.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'10 minutes' is not a budget" in err[0] and "90s, 10m or 1h30m" in err[0]
