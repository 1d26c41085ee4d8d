"""Reports of a run: ``report.json`` (schema ``schemas/report.schema.json``), ``junit.xml``
(one testcase per rule), ``report.md`` (for a seller to read), and per failing rule a trace
(``traces/RULE.json``) with a pytest file that replays it (``traces/test_rule.py``)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.config import RunConfig, is_duration
from conformance.models.catalogue import RULES_BY_ID
from conformance.models.rule_ids import RuleId
from conformance.reporting.render import labelled, render_step
from conformance.reporting.results import RuleResult, Verdict
from conformance.reporting.trace import write_replay
from conformance.targets import TargetOptions
from conformance.wire.schemas import validate

__all__ = [
    "REPORT_FILES",
    "VERDICTS",
    "Report",
    "check_destination",
    "failure_text",
    "replay_command",
    "rerun_command",
    "summary_table",
    "trace_path",
    "unimplemented_operations",
]

VERDICTS = tuple(Verdict)
REPORT_FILES = ("report.json", "junit.xml", "report.md", "traces")
"""What a report directory holds (a run replaces them all)."""


@dataclass(frozen=True)
class Report:
    config: RunConfig
    results: tuple[RuleResult, ...]
    started: datetime
    seconds: float

    @property
    def counts(self) -> Counter[Verdict]:
        return Counter(r.verdict for r in self.results)

    @property
    def exit_code(self) -> int:
        """1 if any rule failed (or was flaky or not reached), else 0."""
        return 1 if any(r.verdict.failed for r in self.results) else 0

    def faults(self) -> dict[str, int]:
        """The faults injected during the run, by kind."""
        total: Counter[str] = Counter()
        for r in self.results:
            total.update(dict(r.faults))
        return dict(sorted(total.items()))

    def histories(self) -> dict[str, int]:
        """The concurrent histories checked (CONC-LINEARIZABLE) and the requests in them."""
        sizes = [n for r in self.results for n in r.histories]
        return {"checked": len(sizes), "requests": sum(sizes)}

    def to_json(self) -> dict[str, Any]:
        data = {
            "format": "metering-conformance-report",
            "version": __version__,
            "profile": self.config.profile.name,
            "target": self.config.target.name,
            "endpoint": self.config.target.endpoint_url,
            "seed": self.config.seed,
            "budget": self.config.budget,
            "started": self.started.isoformat(),
            "seconds": round(self.seconds, 1),
            "summary": {v: self.counts.get(v, 0) for v in VERDICTS},
            "faults": {"rate": self.config.faults, "injected": self.faults()},
            "histories": self.histories(),
            "rules": [
                {
                    "id": r.id,
                    "verdict": r.verdict,
                    "exercised": r.exercised,
                    "reason": r.reason,
                    "trace": trace_path(r),
                    "expected": r.expected,
                    "received": r.received,
                    "replayed": r.replayed,
                    "faults": dict(r.faults),
                    "fault_rate": r.fault_rate,
                    "histories": len(r.histories),
                    "operation": r.operation,
                    "seconds": round(r.seconds, 2),
                    "slices": r.slices,
                    "behaviours": len(r.behaviours),
                }
                for r in self.results
            ],
        }
        validate("report", data)
        return data

    def write(self, directory: Path) -> None:
        """Write every file into ``directory`` at once: built in a temporary directory beside it
        and moved in, so a run that stops early never leaves half a report."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".report-", dir=directory.parent))
        try:
            self._write_into(staging, directory)
            directory.mkdir(exist_ok=True)
            for old in REPORT_FILES:
                target = directory / old
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
            for item in staging.iterdir():
                item.rename(directory / item.name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _write_into(self, directory: Path, final: Path) -> None:
        """The files, written into ``directory``; their replay commands name ``final``, the
        report directory as the user gave it, so they run as printed from where the run did."""
        (directory / "report.json").write_text(json.dumps(self.to_json(), indent=2) + "\n")
        (directory / "junit.xml").write_bytes(self.junit(final))
        (directory / "report.md").write_text(self.markdown(final))
        traces = [r for r in self.results if r.trace is not None]
        if traces:
            (directory / "traces").mkdir()
        for result in traces:
            assert result.trace is not None
            write_replay(directory / "traces", result.trace)

    def junit(self, directory: Path | None = None) -> bytes:
        suite = ET.Element(
            "testsuite",
            name=f"metering-conformance {self.config.target.name} {self.config.profile.name}",
            tests=str(len(self.results)),
            failures=str(
                sum(r.verdict in (Verdict.FAIL, Verdict.FLAKY, Verdict.UNIMPLEMENTED) for r in self.results)
            ),
            errors=str(self.counts.get(Verdict.NOT_REACHED, 0)),
            skipped=str(self.counts.get(Verdict.UNTESTABLE, 0)),
            time=f"{self.seconds:.1f}",
        )
        for result in self.results:
            case = ET.SubElement(
                suite, "testcase", classname="conformance", name=result.id, time=f"{result.seconds:.2f}"
            )
            if result.verdict in (Verdict.FAIL, Verdict.FLAKY):
                failure = ET.SubElement(case, "failure", message=f"{result.verdict}: {result.reason}")
                failure.text = failure_text(result, self.config.target, _saved_at(result, directory))
            elif result.verdict == Verdict.UNIMPLEMENTED:
                ET.SubElement(case, "failure", message=f"{result.verdict}: {result.reason}")
            elif result.verdict == Verdict.NOT_REACHED:
                ET.SubElement(case, "error", message=result.reason or "not reached")
            elif result.verdict == Verdict.UNTESTABLE:
                ET.SubElement(case, "skipped", message=result.reason or Verdict.UNTESTABLE.value)
        return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))

    def _fault_lines(self) -> list[str]:
        lines = []
        faulted = [r for r in self.results if r.fault_rate]
        if faulted:
            injected = ", ".join(f"{n} {kind}" for kind, n in self.faults().items()) or "none"
            base = self.config.faults
            by_rate: dict[float, list[str]] = {}
            for r in faulted:
                if r.fault_rate != base:
                    by_rate.setdefault(r.fault_rate, []).append(r.id)
            parts = [f"{base} in every campaign"] if base else []
            parts += [f"{rate} in {', '.join(ids)}" for rate, ids in sorted(by_rate.items())]
            chances = "; ".join(parts)
            lines += [f"Faults injected (chance a request meets a fault: {chances}): {injected}.", ""]
        histories = self.histories()
        if histories["checked"]:
            sizes = [n for r in self.results for n in r.histories]
            lines += [
                f"Concurrent histories checked: {histories['checked']}, of {min(sizes)} to {max(sizes)} "
                f"requests sent at once ({histories['requests']} requests in all).",
                "",
            ]
        return lines

    def _time_lines(self) -> list[str]:
        """On a duration: how the time went, the rules given the most first."""
        if not is_duration(self.config.budget):
            return []
        spent = sum(r.seconds for r in self.results) or 1.0
        ranked = sorted(self.results, key=lambda r: -r.seconds)
        lines = [
            f"**How the {self.config.budget} went** ({self.seconds:.0f} s of wall time; "
            f"{sum(r.slices for r in self.results)} slices; every rule got its verdict first, "
            "then the time went to the rules still finding new behaviours):",
            "",
            "| Rule | Seconds | Share | Slices | Behaviours |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r.id} | {r.seconds:.1f} | {100 * r.seconds / spent:.0f} % | {r.slices} "
            f"| {len(r.behaviours)} |"
            for r in ranked
        ]
        return [*lines, ""]

    def first_failure(self) -> RuleResult | None:
        """The rule a reader should look at first: the first that failed, else the first flaky,
        else the first whose operation the target does not implement, else the first not reached."""
        for verdict in (Verdict.FAIL, Verdict.FLAKY, Verdict.UNIMPLEMENTED, Verdict.NOT_REACHED):
            for result in self.results:
                if result.verdict == verdict:
                    return result
        return None

    def headline(self, directory: Path | None = None) -> list[str]:
        """Three lines: the counts, the first failing rule, and the command that shows it again
        (its trace replayed, or the run repeated), runnable from where the run ran."""
        total = f"{_counted(self.counts)} of {len(self.results)} rules: exit {self.exit_code}."
        first = self.first_failure()
        if first is None:
            return [total, "No rule failed.", f"Repeat the run: {rerun_command(self.config)}"]
        why = _first_line(first.reason)
        line = f"First failing rule: {first.id} ({first.verdict}{': ' + why if why else ''})."
        saved = _saved_at(first, directory)
        if saved is not None:
            return [total, line, f"Replay it: {replay_command(saved, self.config.target)}"]
        return [total, line, f"Repeat it: {rerun_command(self.config, first.id)}"]

    def markdown(self, directory: Path | None = None) -> str:
        """report.md; ``directory``: where it is written, as the user named it (replay commands
        name trace files under it)."""
        total, first, command = self.headline(directory)
        lines = [
            f"# Conformance report: {self.config.target.name}, profile {self.config.profile.name}",
            "",
            f"**{total}**  ",
            f"{first}  ",
            f"{_code_span(command)}",
            "",
            f"metering-conformance {__version__}, budget {self.config.budget}, seed {self.config.seed}, "
            f"{self.seconds:.0f} s.",
            "",
            *self._fault_lines(),
            *self._time_lines(),
            *_unimplemented_lines(self.results),
            "| Rule | Verdict | Decided | Note |",
            "|---|---|---:|---|",
        ]
        for r in self.results:
            note = (r.reason or "").replace("|", "\\|").replace("\n", " ")
            if r.trace is not None:
                note = f"[trace]({trace_path(r)}) {note}"
            lines.append(f"| {r.id} | {r.verdict} | {r.exercised} | {note[:300]} |")
        for r in self.results:
            if r.verdict in (Verdict.FAIL, Verdict.FLAKY):
                lines += [
                    "",
                    f"## {r.id}: {r.verdict}",
                    "",
                    "```",
                    failure_text(r, self.config.target, _saved_at(r, directory)),
                    "```",
                ]
        return "\n".join(lines) + "\n"


def unimplemented_operations(results: Sequence[RuleResult]) -> dict[str, list[RuleResult]]:
    """The operations the target does not implement, each with the rules it stopped (a rule
    whose campaign failed on, or never got past, that operation)."""
    missing: dict[str, list[RuleResult]] = {}
    for r in results:
        if r.verdict == Verdict.UNIMPLEMENTED and r.operation is not None:
            missing.setdefault(r.operation, []).append(r)
    return missing


def _unimplemented_lines(results: Sequence[RuleResult]) -> list[str]:
    """report.md's word on each operation the target lacks, once, apart from broken rules."""
    lines = []
    for operation, stopped in unimplemented_operations(results).items():
        answer = stopped[0].received
        rules = ", ".join(r.id for r in stopped)
        lines += [
            f"**Not implemented: {operation}** (it answers {answer}). Rules it stopped: {rules}.",
            "",
        ]
    return lines


def _code_span(line: str) -> str:
    """``Replay it: conformance …`` with the command as Markdown code."""
    label, _, command = line.partition(": ")
    return f"{label}: `{command}`"


def _saved_at(result: RuleResult, directory: Path | None) -> str | None:
    """Where ``result``'s trace is in a report written to ``directory`` (as the user named it);
    None when no report is written (no trace file exists to replay) or the result has no trace."""
    path = trace_path(result)
    if path is None or directory is None:
        return None
    return str(Path(directory) / path)


def replay_command(trace_file: str, target: TargetOptions) -> str:
    """The command that replays ``trace_file`` against the run's target, with the options that
    reach it (never a credential: the aws target reads its keys from the fixture file)."""
    return shlex.join(["conformance", "replay", trace_file, *_target_flags(target)])


def _target_flags(target: TargetOptions) -> list[str]:
    """The options that name and reach ``target`` on the command line."""
    flags = ["--target", target.name]
    if target.endpoint_url:
        flags += ["--endpoint-url", target.endpoint_url]
    if target.fixtures_file is not None:
        flags += ["--fixtures", str(target.fixtures_file)]
    if target.allow_real_billing:
        flags += ["--allow-real-billing", "--max-records", str(target.max_records)]
    return flags


def rerun_command(config: RunConfig, rule: RuleId | None = None) -> str:
    """The command that runs ``config`` again (only ``rule``, when given), with its seed."""
    target = config.target
    parts = ["conformance", "run", *_target_flags(target)]
    parts += ["--profile", config.profile.name, "--budget", config.budget, "--seed", str(config.seed)]
    if config.faults:
        parts += ["--faults", str(config.faults)]
    rules = (rule,) if rule else config.rules
    if rules:
        parts += ["--rules", ",".join(rules)]
    return shlex.join(parts)


def trace_path(result: RuleResult) -> str | None:
    """Where a result's trace is saved, relative to the report directory."""
    return f"traces/{result.id}.json" if result.trace is not None else None


def failure_text(result: RuleResult, target: TargetOptions, trace_file: str | None = None) -> str:
    """A failing rule as the report, junit.xml and the pytest plugin show it: the rule, Expected,
    Received, the minimal trace step by step, and the command that replays it. ``trace_file``:
    where the trace was saved, as the replay command should name it (default: its place in a
    report directory)."""
    rule = RULES_BY_ID[result.id]
    lines = [f"{result.id}: {rule.statement}", ""]
    lines += labelled("Expected: ", result.expected or "")
    lines += labelled("Received: ", result.received or "")
    if result.replayed is not None:
        lines += labelled("Replayed: ", result.replayed)
    if result.trace is not None:
        path = trace_file or trace_path(result)
        assert path is not None
        what = "history, its requests sent at once" if result.trace.concurrent else "trace"
        lines += ["", f"Minimal {what} ({path}):"]
        for number, step in enumerate(result.trace.steps, 1):
            lines += render_step(number, step)
        lines += ["", f"Replay: {replay_command(path, target)}"]
    return "\n".join(lines)


def summary_table(results: list[RuleResult] | tuple[RuleResult, ...], width: int = 90) -> str:
    """The table the terminal ends with: one line per rule that did not pass (no table at all
    when every rule passed), then counts. A reason longer than ``width`` ends in an ellipsis at
    a word boundary."""
    counts = Counter(r.verdict for r in results)
    rows = [
        f"{r.id:<24} {r.verdict:<12} {r.exercised:>7}  {_shortened(_first_line(r.reason), width)}"
        for r in results
        if r.verdict not in (Verdict.PASS, Verdict.UNIMPLEMENTED)
    ]
    # an operation the target lacks is one line, not one per rule it stopped
    rows += [
        f"{operation:<24} {'unimplemented':<12} {'':>7}  "
        + _shortened(f"stopped {_rules(len(stopped))}; it answers {stopped[0].received}", width)
        for operation, stopped in unimplemented_operations(results).items()
    ]
    lines = [f"{'rule':<24} {'verdict':<12} {'decided':>7}  reason", *rows] if rows else []
    lines.append(_counted(counts) or "no rules")
    return "\n".join(lines)


def _rules(count: int) -> str:
    return "1 rule" if count == 1 else f"{count} rules"


def _counted(counts: Counter[Verdict]) -> str:
    """``5 pass, 35 fail``: each verdict that occurs, in the order of VERDICTS."""
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts.get(v))


def _first_line(text: str | None) -> str:
    return text.splitlines()[0] if text else ""


def _shortened(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    head = text[: width - 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return cut.rstrip(",;:") + "…"


def check_destination(directory: Path) -> None:
    """Raise OSError unless a report can be written into ``directory``: checked before a run,
    so a bad ``--report`` never costs one. Side effect: may create the directory's parents,
    as writing the report would."""
    directory = Path(directory)
    for path in (directory, *directory.parents):
        if path.exists():
            if not path.is_dir():
                raise NotADirectoryError(f"{path} exists and is not a directory")
            break
    directory.parent.mkdir(parents=True, exist_ok=True)
    Path(tempfile.mkdtemp(prefix=".report-", dir=directory.parent)).rmdir()
    if directory.is_dir() and not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(f"{directory} is not writable")
