"""``conformance bench mutants``: how many realistic bugs the harness kills, under which rules,
how fast, and with how small a counterexample.

Each mutant of the reference service (``conformance.lab.mutants``) is certified in each of
its profiles, once per seed, with the campaigns of the rules it names (``--all-rules``: every
rule of the profile), in the mutant's order, each with a fresh in-process reference target
carrying the bug. Per mutant and profile: the seeds that killed it, the rules that failed, whether
one of them is a rule the mutant names, the time to first detection (the campaign seconds of its
rules up to and including the first that failed: searching, not minimizing) and the length of
the first failing rule's minimal trace. The unmutated service runs every rule of each profile
with the same seeds: any failure there is a false failure of the harness.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from conformance.engine.budget import duration_seconds
from conformance.engine.runner import START, RunConfig, run, run_rule
from conformance.engine.timed import Slice, at_once, run_on_duration
from conformance.lab.mutants import MUTANTS, Mutant
from conformance.models.catalogue import rules_for
from conformance.models.profiles import get_profile
from conformance.models.rule_ids import RuleId
from conformance.reporting.results import RuleResult, Verdict
from conformance.strategies import minimal_world
from conformance.targets import ReferenceTarget, TargetOptions
from conformance.wire.service_model import model_for

__all__ = [
    "Certified",
    "MutantRow",
    "Unmutated",
    "certify",
    "false_failures",
    "mutant_rows",
    "render_mutants",
]


@dataclass(frozen=True)
class Certified:
    """One mutant certified once (one profile, one seed)."""

    mutant: str
    profile: str
    seed: int
    failed: tuple[str, ...]  # the rules that failed, in the order they ran
    first_seconds: float | None  # campaign seconds up to the first failure (None: not killed)
    first_steps: int | None  # steps of the first failing rule's minimal trace

    @property
    def killed(self) -> bool:
        return bool(self.failed)


def _rules(mutant: Mutant, profile: str, all_rules: bool) -> list[RuleId]:
    known = [rule.id for rule in rules_for(profile)]
    return known if all_rules else [r for r in mutant.rules if r in known]


def certify(name: str, profile: str, seed: int, budget: str = "quick", all_rules: bool = False) -> Certified:
    """Certify mutant ``name`` once: its rules one after another, or on a duration
    (``budget`` such as ``30s``) sliced as a run on a duration slices them. Side effects: none
    beyond this process (in-process target)."""
    mutant = MUTANTS[name]
    model = model_for(profile)
    rules = _rules(mutant, profile, all_rules)
    config = RunConfig(TargetOptions("reference"), get_profile(profile), tuple(rules), budget, seed, 1)
    failed: list[str] = []
    spent = 0.0
    first_seconds = first_steps = None

    def run_slice(rule: RuleId, part: Slice | None = None) -> RuleResult:
        """One campaign (or slice) of ``rule`` on a fresh target carrying the mutant."""
        target = ReferenceTarget(model, hooks=mutant)
        target.open(minimal_world("setup", profile), START)
        try:
            return run_rule(config, rule, model, target, part)
        finally:
            target.close()

    def searched(rule: RuleId, part: Slice) -> RuleResult:
        nonlocal spent
        result = run_slice(rule, part)
        spent += result.seconds  # searching, not minimizing: as for a campaign below
        return result

    seconds = duration_seconds(budget)
    if seconds is not None:
        for result in run_on_duration(rules, seconds, at_once(searched)):
            if result.verdict == Verdict.FAIL:
                if not failed:
                    first_seconds = spent  # every slice up to the failing one
                    first_steps = len(result.trace.steps) if result.trace else None
                failed.append(result.id)
                if not all_rules:
                    break
        return Certified(name, profile, seed, tuple(failed), first_seconds, first_steps)
    for rule in rules:
        result = run_slice(rule)
        spent += result.seconds
        if result.verdict == Verdict.FAIL:
            if not failed:
                first_seconds = spent
                first_steps = len(result.trace.steps) if result.trace else None
            failed.append(rule)
            if not all_rules:
                break  # killed: its time to first detection is known
    return Certified(name, profile, seed, tuple(failed), first_seconds, first_steps)


def false_failures(profile: str, seed: int, budget: str = "quick") -> tuple[str, ...]:
    """The rules the unmutated reference fails with this seed: false failures of the harness."""
    config = RunConfig(TargetOptions("reference"), get_profile(profile), None, budget, seed, 1)
    return tuple(r.id for r in run(config, workers=1) if r.verdict in (Verdict.FAIL, Verdict.FLAKY))


@dataclass(frozen=True)
class MutantRow:
    mutant: str
    profile: str
    rules: tuple[RuleId, ...]  # the rules it names
    runs: tuple[Certified, ...]

    @property
    def kills(self) -> int:
        return sum(1 for c in self.runs if c.killed)

    @property
    def killed_under(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for c in self.runs for r in c.failed))

    @property
    def named(self) -> bool:
        return any(r in self.rules for r in self.killed_under)

    @property
    def seconds(self) -> list[float]:
        return [c.first_seconds for c in self.runs if c.first_seconds is not None]

    @property
    def steps(self) -> list[int]:
        return [c.first_steps for c in self.runs if c.first_steps is not None]


@dataclass(frozen=True)
class Unmutated:
    """The unmutated reference run once with every rule (one profile, one seed)."""

    profile: str
    seed: int
    failed: tuple[str, ...]  # false failures


Job = tuple[
    str, str, int, str, bool
]  # (mutant or "" for the unmutated service, profile, seed, budget, all rules)


def _job(job: Job) -> Certified | Unmutated:
    name, profile, seed, budget, all_rules = job
    if not name:
        return Unmutated(profile, seed, false_failures(profile, seed, budget))
    return certify(name, profile, seed, budget, all_rules)


def mutant_rows(
    seeds: int,
    budget: str = "quick",
    names: Sequence[str] | None = None,
    all_rules: bool = False,
    workers: int = 1,
    progress: Callable[[Certified | Unmutated], None] = lambda _: None,
) -> tuple[list[MutantRow], list[Unmutated]]:
    """Every mutant (or ``names``) certified with seeds 1..``seeds`` in each of its profiles, and
    the unmutated service in each of those profiles with the same seeds. Side effects: with
    ``workers`` > 1, starts that many processes."""
    chosen = [MUTANTS[n] for n in (names or MUTANTS)]
    profiles = sorted({p for m in chosen for p in m.profiles})
    seed_range = range(1, seeds + 1)
    jobs: list[Job] = [("", p, s, budget, False) for p in profiles for s in seed_range]
    jobs += [(m.name, p, s, budget, all_rules) for m in chosen for p in m.profiles for s in seed_range]
    done: list[Certified | Unmutated] = []
    if workers <= 1:
        for job in jobs:
            done.append(_job(job))
            progress(done[-1])
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for result in pool.map(_job, jobs):
                done.append(result)
                progress(result)
    certified = [c for c in done if isinstance(c, Certified)]
    rows = [
        MutantRow(m.name, p, m.rules, tuple(c for c in certified if (c.mutant, c.profile) == (m.name, p)))
        for m in chosen
        for p in m.profiles
    ]
    return rows, [u for u in done if isinstance(u, Unmutated)]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _cell(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def _every_kill(rows: Sequence[MutantRow]) -> str:
    """The time until every mutant was killed in every seed: the slowest first detection."""
    slowest = max((t for r in rows for t in r.seconds), default=None)
    missed = sum(len(r.runs) - r.kills for r in rows)
    if missed or slowest is None:
        return f"Not every mutant was killed in every seed: {missed} runs were not."
    return f"Time until every mutant is killed in every seed (the slowest first detection): {slowest:.2f} s."


def render_mutants(rows: Sequence[MutantRow], seeds: int, unmutated: Sequence[Unmutated]) -> str:
    """The table, then the totals."""
    lines = [
        "| mutant | profile | killed | under rules | named | median s to detect | max s | median steps |",
        "|---|---|---:|---|---|---:|---:|---:|",
    ]
    for row in rows:
        under = ", ".join(row.killed_under) or "–"
        lines.append(
            f"| {row.mutant} | {row.profile} | {row.kills}/{len(row.runs)} | {under} "
            f"| {'yes' if row.named else 'no'} | {_cell(_median(row.seconds), '.2f')} "
            f"| {_cell(max(row.seconds, default=None), '.2f')} | {_cell(_median(row.steps), '.1f')} |"
        )
    every_seed = [r for r in rows if r.kills == len(r.runs) and r.named]
    some_seed = [r for r in rows if r.kills and r.named]
    medians = [m for r in rows if (m := _median(r.seconds)) is not None]
    steps = [m for r in rows if (m := _median(r.steps)) is not None]
    false_count = sum(len(u.failed) for u in unmutated)
    false_text = "; ".join(f"{u.profile} seed {u.seed}: {', '.join(u.failed)}" for u in unmutated if u.failed)
    lines += [
        "",
        f"Mutants (per profile): {len(rows)}.",
        f"Killed under a named rule with every seed ({seeds}): {len(every_seed)}/{len(rows)}; "
        f"with some seed: {len(some_seed)}/{len(rows)}.",
        _every_kill(rows),
        f"Time to first detection, median over mutants of the median: {_cell(_median(medians), '.2f')} s; "
        f"worst median {_cell(max(medians, default=None), '.2f')} s.",
        f"Minimal trace, median over mutants of the median: {_cell(_median(steps), '.1f')} steps; "
        f"worst median {_cell(max(steps, default=None), '.1f')}.",
        f"False failures of the unmutated reference (every rule, {len(unmutated)} profile-seed runs): "
        f"{false_count}" + (f" ({false_text})" if false_text else "") + ".",
    ]
    return "\n".join(lines)
