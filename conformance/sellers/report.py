"""What a client run found, in words: the terminal text (also report.md), report.json, and one
file per broken rule with the requests of its minimal run (runs/RULE.json).

Every line is read off the runs it describes; a request's line shows what the code sent, the
faults it met and the answer it got. No header is kept, so no credential reaches a report.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.models.catalogue import RULES_BY_ID
from conformance.models.seller import LoggedCall, usages_of
from conformance.reporting.results import Verdict
from conformance.sellers.certify import ClientConfig, ClientReport, ClientRuleResult
from conformance.sellers.command import ClientRun
from conformance.sellers.shrink import addresses
from conformance.sellers.wording import EXACTLY_ONCE, breach_lines, judged_text

__all__ = [
    "CLIENT_REPORT_FILES",
    "client_replay_command",
    "exchange_lines",
    "render_client",
    "write_client_report",
]

CLIENT_REPORT_FILES = ("report.json", "report.md", "runs")


def client_replay_command(config: ClientConfig, result: ClientRuleResult) -> str:
    """The command that runs the code again under ``result``'s minimal schedule."""
    parts = ["conformance", "client", "--profile", config.profile]
    if config.fixtures_file is not None:
        parts += ["--fixtures", str(config.fixtures_file)]
    if config.caller is not None:
        parts += ["--caller", config.caller]
    if config.reruns != ClientConfig.reruns:
        parts += ["--reruns", str(config.reruns)]
    parts += ["--schedule", result.schedule.text() if result.schedule else "", "--", *config.command]
    return shlex.join(parts)


def render_client(report: ClientReport) -> str:
    """The terminal text, also report.md."""
    config = report.config
    lines = [f"conformance client: {shlex.join(config.command)}", _setup_line(report), _runs_line(report), ""]
    for result in report.results:
        rule = RULES_BY_ID[result.rule]
        lines.append(f"{result.verdict.value.upper():<12} {result.rule:<26} {_judged(result)}")
        if result.verdict not in (Verdict.FAIL, Verdict.FLAKY):
            continue
        expected, received = breach_lines(result.breaches)
        lines += [f"  {rule.statement}", f"  Expected: {expected}", f"  Received: {received}"]
        lines.append("  " + _schedule_line(result))
        if result.run is not None:
            lines += [f"    {line}" for line in run_lines(result.run)]
        if result.verdict is Verdict.FLAKY:
            lines.append(f"  The same faults did not break it again: {result.unlike}.")
        lines.append(f"  Replay: {client_replay_command(config, result)}")
    counts = Counter(r.verdict for r in report.results)
    lines += ["", ", ".join(f"{n} {v.value}" for v, n in sorted(counts.items(), key=lambda kv: kv[0].value))]
    return "\n".join(lines) + "\n"


def run_lines(run: ClientRun) -> list[str]:
    """The requests of a run, one a line, and where a start of the command ended other than
    with exit 0: how, after which faults in a row, and the last lines it printed."""
    every = exchange_lines(run.exchanges)
    lines: list[str] = []
    sent = 0
    for number, attempt in enumerate(run.attempts):
        lines += every[sent : attempt.requests]
        sent = attempt.requests
        if attempt.exit_code == 0:
            continue
        streak = _fault_streak(run.exchanges[: attempt.requests])
        after = f" after {streak} faults in a row on one request's sends" if streak > 1 else ""
        what = "the run" if number == 0 else f"rerun {number}"
        lines.append(f"--- {what} {attempt.ended}{after}; its last lines:")
        lines += [f"      {line}" for line in attempt.output.splitlines()[-_TAIL:]] or ["      (nothing)"]
    return lines


_TAIL = 5  # lines of a start's output shown where it ended non-zero


def _fault_streak(exchanges: tuple[LoggedCall, ...]) -> int:
    """How many of the last sends of the last request sent met a fault in a row."""
    sent = list(zip(exchanges, addresses(exchanges), strict=True))
    if not sent:
        return 0
    last = sent[-1][1][0]
    streak = 0
    for exchange, (key, _) in reversed(sent):
        if key != last:
            continue
        if exchange.fault == "none":
            break
        streak += 1
    return streak


def exchange_lines(exchanges: tuple[LoggedCall, ...]) -> list[str]:
    """One line per request: number, operation, what it carried, faults met (with the address
    a schedule gives them: the request's fingerprint and which send of it), answer."""
    lines = []
    for e, (key, send) in zip(exchanges, addresses(exchanges), strict=True):
        met = "" if e.fault == "none" else f"{key}/{send} [{e.fault}]"
        lines.append(f"{e.index:>3} {e.operation or '?':<16} {_carried(e):<11} {met:<33} -> {_answer(e)}")
    return lines


def _carried(exchange: LoggedCall) -> str:
    usages = usages_of(exchange)
    if exchange.operation == "BatchMeterUsage":
        return f"{len(usages)} record{'s' * (len(usages) != 1)}"
    return usages[0].key.dimension if usages else ""


def _answer(exchange: LoggedCall) -> str:
    if exchange.status is None:
        return "no answer (connection reset)"
    if exchange.error:
        return f"{exchange.status} {exchange.error}"
    unprocessed = (exchange.answer or {}).get("UnprocessedRecords") or []
    return f"{exchange.status}" + (f", {len(unprocessed)} unprocessed" if unprocessed else "")


def _setup_line(report: ClientReport) -> str:
    config = report.config
    if config.schedule is not None:
        faults = f"the schedule {config.schedule.text() or '(none)'}"
    else:
        faults = (
            f"faults at {config.rate} (a request meets a fault with chance {config.rate}), seed {config.seed}"
        )
    runs = f"{report.runs} runs of the command in {report.seconds:.1f} s"
    return f"profile {config.profile}; faults: {faults}; {runs}"


def _runs_line(report: ClientReport) -> str:
    drawn = len(report.faulty) - len(report.aimed)
    aimed = "".join(f", 1 aimed at {rule}" for rule in report.aimed)
    which = (
        ""
        if report.config.schedule is not None
        else f" ({drawn} run{'s' * (drawn != 1)} of seed {report.config.seed}{aimed})"
    )
    clean, faulty = _run_summary((report.baseline,)), _run_summary(report.faulty)
    return f"Without faults: {clean}. Under faults{which}: {faulty}."


def _run_summary(runs: tuple[ClientRun, ...]) -> str:
    """What a set of runs did together: how they ended, requests, faults and records."""
    counts: Counter[str] = Counter()
    for run in runs:
        counts.update(run.faults)
    ended = Counter(run.ended for run in runs)
    how = ", ".join(
        f"{what}{'' if n == len(runs) == 1 else f' ({n} of {len(runs)} runs)'}" for what, n in ended.items()
    )
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    met = f", {counts.total()} faults ({kinds})" if counts else ""
    held = sorted({len(run.records) for run in runs})
    records = "/".join(map(str, held))
    return f"{how}, {sum(len(r.exchanges) for r in runs)} requests{met}, {records} records held"


def _judged(result: ClientRuleResult) -> str:
    text = judged_text(result.rule, result.judged)
    if result.rule == EXACTLY_ONCE and result.judged:
        return f"{text}, compared with each run under faults"
    return text


def _schedule_line(result: ClientRuleResult) -> str:
    if result.schedule is not None and not result.schedule:
        return "Breaks without faults. Requests of that run:"
    size = len(result.schedule) if result.schedule is not None else 0
    if not result.shrunk:
        given = result.schedule.text() if result.schedule else "none"
        faults = f"{size} fault{'s' * (size != 1)}"
        return f"Fault schedule (given, run once as it is; {faults}): {given}. Requests of its run:"
    note = "; the run budget ended the search" if result.exhausted else ""
    faults = f"{size} fault{'s' * (size != 1)}; {result.shrink_runs} runs to shrink{note}"
    schedule = result.schedule.text() if result.schedule else ""
    return f"Minimal fault schedule ({faults}): {schedule}. Requests of its run:"


def report_json(report: ClientReport) -> dict[str, Any]:
    config = report.config
    return {
        "command": list(config.command),
        "profile": config.profile,
        "faults": {
            "rate": config.rate,
            "seed": config.seed,
            "schedule": config.schedule.text() if config.schedule else None,
        },
        "runs": report.runs,
        "seconds": round(report.seconds, 3),
        "withoutFaults": _run_json(report.baseline),
        "underFaults": [
            {"run": number, **label, **_run_json(run)}
            for number, (label, run) in enumerate(zip(_labels(report), report.faulty, strict=True), 1)
        ],
        "exitCode": report.exit_code,
        "rules": [_result_json(config, r) for r in report.results],
    }


def _labels(report: ClientReport) -> list[dict[str, Any]]:
    """What drew each run's faults: its seed, or the rule it was aimed at."""
    return [{"seed": seed} for seed in report.config.seeds()] + [{"aimedAt": rule} for rule in report.aimed]


def _run_json(run: ClientRun) -> dict[str, Any]:
    return {
        "exitCode": run.exit_code,
        "starts": [{"exitCode": a.exit_code, "requests": a.requests} for a in run.attempts],
        "seconds": round(run.seconds, 3),
        "requests": len(run.exchanges),
        "records": len(run.records),
        "faults": run.faults,
    }


def _result_json(config: ClientConfig, result: ClientRuleResult) -> dict[str, Any]:
    data: dict[str, Any] = {"id": result.rule, "verdict": result.verdict.value, "judged": result.judged}
    if result.breaches:
        expected, received = breach_lines(result.breaches)
        data |= {
            "expected": expected,
            "received": received,
            "schedule": result.schedule.text() if result.schedule is not None else None,
            "seed": result.seed,
            "shrinkRuns": result.shrink_runs,
            "shrunk": result.shrunk,
            "minimal": result.shrunk and not result.exhausted and result.verdict is Verdict.FAIL,
            "run": f"runs/{result.rule}.json",
            "replay": client_replay_command(config, result),
        }
    return data


def write_client_report(report: ClientReport, directory: Path) -> None:
    """report.json, report.md and runs/RULE.json (each broken rule's minimal run, request by
    request). Side effect: writes into ``directory``, made if missing."""
    runs = directory / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for result in report.results:
        if result.run is not None:
            exchanges = [_exchange_json(e) for e in result.run.exchanges]
            data = {
                "rule": result.rule,
                "schedule": result.schedule.text() if result.schedule else "",
                "requests": exchanges,
            }
            (runs / f"{result.rule}.json").write_text(json.dumps(data, indent=2) + "\n")
    (directory / "report.json").write_text(json.dumps(report_json(report), indent=2) + "\n")
    (directory / "report.md").write_text("```\n" + render_client(report) + "```\n")


def _exchange_json(exchange: LoggedCall) -> dict[str, Any]:
    return {
        "index": exchange.index,
        "operation": exchange.operation,
        "request": exchange.body,
        "fault": exchange.fault,
        "status": exchange.status,
        "answer": exchange.answer,
    }
