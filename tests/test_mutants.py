"""The harness kills realistic bugs: mutants of the reference service fail rules they name
(budget quick), the unmutated service fails none, and ``conformance bench mutants`` reports it."""

from __future__ import annotations

import pytest

from conformance.cli import main
from conformance.engine.runner import RunConfig, needs_faults, run_rule
from conformance.lab.mutants import CORRECT, MUTANTS
from conformance.lab.mutation import Certified, MutantRow, Unmutated, certify, render_mutants
from conformance.models.catalogue import RULES_BY_ID, rules_for
from conformance.models.profiles import get_profile
from conformance.strategies import minimal_world
from conformance.targets import ReferenceTarget, TargetOptions
from tests.conftest import NOW

SEQUENTIAL = sorted(name for name, m in MUTANTS.items() if not m.racy)  # racy: in HANDFUL

# a handful whose kill must never regress, one per stage a bug can sit in: the raw response,
# the records, the outcome, the model, the request and the signed token
HANDFUL = [
    ("racy-duplicate-check", "2025-01"),
    ("error-with-200", "2025-01"),
    ("dry-run-records", "2025-01"),
    ("conflict-overwrites", "2025-01"),
    ("retry-fresh-id", "2025-01"),
    ("batch-window-second-long", "2026-11"),
    ("allocations-unchecked", "2025-01"),
    ("iat-an-hour-old", "2025-01"),
]


def test_every_mutant_names_catalogue_rules_of_its_profiles():
    assert len(MUTANTS) >= 30
    for mutant in MUTANTS.values():
        assert mutant.rules, mutant.name
        for profile in mutant.profiles:
            known = {r.id for r in rules_for(profile)}
            assert set(mutant.rules) <= known, (mutant.name, profile)
    assert set(RULES_BY_ID) >= {r for m in MUTANTS.values() for r in m.rules}
    # only the racy mutant needs concurrent clients
    assert [m.name for m in MUTANTS.values() if m.racy] == ["racy-duplicate-check"]
    assert MUTANTS["racy-duplicate-check"].rules == ("CONC-LINEARIZABLE",)
    assert not CORRECT.rules and not CORRECT.racy


@pytest.mark.parametrize(("name", "profile"), HANDFUL)
def test_a_handful_of_mutants_is_killed_under_a_rule_they_name(name, profile):
    certified = certify(name, profile, seed=1)
    assert certified.killed, name
    assert certified.failed[0] in MUTANTS[name].rules
    assert certified.first_steps is not None and certified.first_steps <= 3


@pytest.mark.parametrize("name", SEQUENTIAL)
def test_each_mutant_is_killed_under_a_rule_it_names(name):
    """With seed 1 or, failing that, seed 2, in the mutant's first profile (the benchmark
    measures five seeds in every profile)."""
    mutant = MUTANTS[name]
    tried = [certify(name, mutant.profiles[0], seed) for seed in (1, 2)]
    killed = [c for c in tried if c.killed]
    assert killed, [(c.seed, c.failed) for c in tried]
    assert killed[0].failed[0] in mutant.rules


@pytest.mark.parametrize("profile", ["2025-01", "2026-11"])
def test_the_unmutated_service_fails_none_of_the_rules_mutants_name(profile):
    from conformance.wire.service_model import model_for

    model = model_for(profile)
    known = {r.id for r in rules_for(profile)}
    rules = sorted({r for m in MUTANTS.values() for r in m.rules if r in known and not needs_faults(r)})
    target = ReferenceTarget(model)
    target.open(minimal_world("setup", "2025-01"), NOW)
    config = RunConfig(TargetOptions("reference"), get_profile(profile), tuple(rules), "quick", 1, 1)
    verdicts = {rule: run_rule(config, rule, model, target) for rule in rules}
    assert {rule: r.reason for rule, r in verdicts.items() if r.verdict != "pass"} == {}


def _certified(mutant, seed, failed=(), seconds=None, steps=None):
    return Certified(mutant, "2025-01", seed, tuple(failed), seconds, steps)


def test_the_bench_table_counts_kills_times_and_false_failures():
    rows = [
        MutantRow(
            "a",
            "2025-01",
            ("R1", "R2"),
            (_certified("a", 1, ["R2"], 0.5, 1), _certified("a", 2, ["R2"], 1.5, 3)),
        ),
        MutantRow("b", "2025-01", ("R3",), (_certified("b", 1), _certified("b", 2, ["R3"], 4.0, 2))),
        MutantRow("c", "2025-01", ("R4",), (_certified("c", 1), _certified("c", 2))),
    ]
    text = render_mutants(rows, 2, [Unmutated("2025-01", 1, ()), Unmutated("2025-01", 2, ("R9",))])
    lines = text.splitlines()
    assert "| a | 2025-01 | 2/2 | R2 | yes | 1.00 | 1.50 | 2.0 |" in lines
    assert "| b | 2025-01 | 1/2 | R3 | yes | 4.00 | 4.00 | 2.0 |" in lines
    assert "| c | 2025-01 | 0/2 | – | no | – | – | – |" in lines
    assert "Killed under a named rule with every seed (2): 1/3; with some seed: 2/3." in lines
    assert "Time to first detection, median over mutants of the median: 2.50 s; worst median 4.00 s." in lines
    assert (
        "False failures of the unmutated reference (every rule, 2 profile-seed runs): 1 (2025-01 seed 2: R9)."
        in lines
    )
    assert "Not every mutant was killed in every seed: 3 runs were not." in lines
    killed = render_mutants(rows[:1], 2, []).splitlines()
    assert "Time until every mutant is killed in every seed (the slowest first detection): 1.50 s." in killed


def test_bench_mutants_prints_the_table(capsys):
    code = main(
        ["bench", "mutants", "--seeds", "1", "--mutants", "error-with-200,dry-run-records", "--workers", "1"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "| error-with-200 | 2025-01 | 1/1 | WIRE-STATUS | yes |" in out
    assert "| dry-run-records | 2025-01 | 1/1 | MU-DRYRUN | yes |" in out
    assert "Killed under a named rule with every seed (1): 2/2; with some seed: 2/2." in out
    assert "False failures of the unmutated reference (every rule, 1 profile-seed runs): 0." in out


def test_bench_mutants_refuses_an_unknown_mutant(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "mutants", "--mutants", "no-such-bug"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown mutant 'no-such-bug'" in err[-1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_racy_mutant_fails_conc_linearizable_with_a_short_history(model, seed):
    """The history sent at once shrinks to at most 4 requests (two conflicting ones, mostly)."""
    certified = certify("racy-duplicate-check", "2025-01", seed)
    assert certified.failed == ("CONC-LINEARIZABLE",)
    assert certified.first_steps is not None and 2 <= certified.first_steps <= 4


def test_a_wire_failure_says_what_on_the_wire_differs():
    """The answer's content is as allowed, so Expected and Received differ only on the wire:
    Received names the difference rather than repeating Expected."""
    from conformance.wire.service_model import model_for

    model = model_for("2025-01")
    target = ReferenceTarget(model, hooks=MUTANTS["json-as-text"])
    target.open(minimal_world("setup", "2025-01"), NOW)
    config = RunConfig(TargetOptions("reference"), get_profile("2025-01"), ("WIRE-JSON",), "quick", 1, 1)
    result = run_rule(config, "WIRE-JSON", model, target)
    assert result.verdict == "fail"
    assert result.expected != result.received
    assert "on the wire: Content-Type 'text/plain', expected application/x-amz-json-1.1" in result.received


def test_a_500_to_an_unknown_operation_fails_wire_status_not_unimplemented():
    # seed 3's first request names an operation the service lacks, and the mutant answers
    # UnknownOperationException with a 500: the right error in the wrong class. "Unknown
    # operation" is what a raw request asks for, never a sign that an operation is missing.
    certified = certify("error-with-500", "2025-01", 3)
    assert certified.failed == ("WIRE-STATUS",) and certified.first_steps == 1
