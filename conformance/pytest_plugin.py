"""pytest plugin: ``pytest --conformance-target=moto`` collects one test per rule; the
``metering_service`` fixture gives a seller's own tests a faithful metering service.

Each test (``conformance::test_rule[BMU-WINDOW]``) runs that rule's campaign; a failure prints
the rule's Expected/Received and minimal trace, an untestable rule is skipped with its reason.
A node ID pasted back (``pytest 'conformance::test_rule[BMU-WINDOW]' --conformance-target=...``)
runs that rule alone. With
pytest-xdist (``-n auto``) the campaigns spread over processes; each process opens its own
target, so parallel campaigns never see each other's state. The seed is chosen once, printed
in the header and handed to every worker.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from conformance.helptext import CORPUS_HELP, RATE_HELP
from conformance.models.profiles import NEWEST_PROFILE, get_profile
from conformance.models.rule_ids import RuleId

__all__ = ["RuleItem", "metering_service"]

_OPTIONS = (
    ("target", None, "judge this target: reference, reference-server, moto, moto-server, endpoint or aws"),
    (
        "profile",
        NEWEST_PROFILE,
        f"rule profile: 2025-01 or 2026-11 (default: {NEWEST_PROFILE}, the API today)",
    ),
    (
        "budget",
        "quick",
        "campaign budget: quick, standard or deep; or a duration (90s, 10m, 1h30m) shared evenly "
        "by the rules",
    ),
    ("seed", None, "seed of the campaigns (default: random, printed in the header)"),
    ("rules", None, "comma-separated rule IDs (default: every rule of the profile)"),
    ("endpoint-url", None, "endpoint / moto-server: where the target listens"),
    ("fixtures", None, "fixture file for a target without the control protocol"),
    ("report", None, "directory for failing rules' traces (default: conformance/ in pytest's cache)"),
    ("faults", "0", f"inject faults (reference, reference-server, endpoint): {RATE_HELP}"),
    ("corpus", None, CORPUS_HELP),
    ("shared-corpus", None, "comma-separated corpora replayed first, never written"),
)


_COLLECTOR = "conformance"  # the node every rule's test hangs from: conformance::test_rule[ID]
_NODE_ID = re.compile(r"(?:::)?" + _COLLECTOR + r"::test_rule\[([A-Z0-9-]+)\]")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "metering-conformance")
    for name, default, text in _OPTIONS:
        group.addoption(f"--conformance-{name}", default=default, help=text)
    # set when the command line named rules' node IDs and no path: nothing else is collected
    group.addoption("--conformance-only", action="store_true", help=argparse.SUPPRESS)


def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """A rule's node ID on the command line (as pytest prints it) selects that rule: no file
    holds it, so it becomes ``--conformance-rules`` before pytest looks for a path of that name
    (and, with no path left, nothing but the named rules is collected)."""
    named = [m.group(1) for arg in args if (m := _NODE_ID.fullmatch(arg))]
    if not named:
        return
    rest = [arg for arg in args if not _NODE_ID.fullmatch(arg)]
    paths = getattr(parser.parse_known_args(rest), "file_or_dir", None)
    args[:] = [*rest, f"--conformance-rules={','.join(named)}", *([] if paths else ["--conformance-only"])]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return True if config.getoption("--conformance-only") else None


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(f"--conformance-{name}")


def pytest_configure(config: pytest.Config) -> None:
    """Parse and check every ``--conformance-*`` option with the CLI's own parsers, before any
    test is collected: a bad value stops the session with one line (pytest's usage error)."""
    if _option(config, "target") is None:
        return
    workerinput = getattr(config, "workerinput", None)
    try:
        run_config = _checked_run_config(config, workerinput)
    except ValueError as exc:  # OptionError, TargetUsageError: one line each
        raise pytest.UsageError(str(exc)) from None
    if workerinput is None:
        _check_reachable(run_config)
    config.stash[_RUN] = run_config
    config.stash[_TRACES] = _traces_directory(config)


def _check_reachable(run_config: Any) -> None:
    """A target that cannot be reached stops the session in one line before any test runs
    (an endpoint or moto server asked once; in-process targets always are)."""
    from conformance.engine.runner import check_reachable
    from conformance.targets import TargetSetupError

    try:
        check_reachable(run_config)
    except TargetSetupError as exc:
        raise pytest.UsageError(f"--conformance-target {run_config.target.name}: {exc}") from None


def _checked_run_config(config: pytest.Config, workerinput: Any) -> Any:
    from conformance.engine.runner import RunConfig
    from conformance.options import (
        check_target_options,
        parse_budget,
        parse_corpus,
        parse_natural,
        parse_profile,
        parse_rate,
        parse_rules,
        parse_target,
    )
    from conformance.targets import TargetOptions, check_faults

    def parsed(name: str, parse: Any, *extra: Any) -> Any:
        value = _option(config, name)
        if value is None:
            return None
        try:
            return parse(str(value), *extra)
        except ValueError as exc:
            raise ValueError(f"--conformance-{name}: {exc}") from None

    target = parsed("target", parse_target)
    profile = parsed("profile", parse_profile)
    budget = parsed("budget", parse_budget)
    rules = parsed("rules", parse_rules, profile)
    rate = parsed("faults", parse_rate) or 0.0
    corpus = parsed("corpus", parse_corpus)
    shared = parsed("shared-corpus", lambda text: tuple(map(parse_corpus, filter(None, text.split(",")))))
    if workerinput is not None:
        seed = int(workerinput["conformance_seed"])
    else:
        seed = parsed("seed", parse_natural)
        seed = seed if seed is not None else random.randrange(10**6)
    fixtures = _option(config, "fixtures")
    options = TargetOptions(target, _option(config, "endpoint-url"), Path(fixtures) if fixtures else None)
    try:
        check_target_options(options)
        check_faults(target, rate)
    except ValueError as exc:  # the CLI's words, with the plugin's option names
        raise ValueError(_PLUGIN_FLAGS.sub(r"--conformance-\1", str(exc))) from None
    return RunConfig(
        options,
        get_profile(profile),
        rules,
        budget,
        seed,
        faults=rate,
        corpus=corpus,
        shared_corpus=shared or (),
    )


_PLUGIN_FLAGS = re.compile(r"--(" + "|".join(re.escape(name) for name, _, _ in _OPTIONS) + r")\b")


def _traces_directory(config: pytest.Config) -> Path:
    """Where failing traces go: ``--conformance-report DIR``/traces, else under pytest's cache
    (or, with the cache off, its base temporary directory). Checked before any test runs."""
    from conformance.reporting.report import check_destination

    given = _option(config, "report")
    if given is not None:
        directory = Path(given).absolute()
    elif getattr(config, "cache", None) is not None:
        directory = Path(config.cache.mkdir("conformance"))
    else:
        directory = Path(tempfile.gettempdir()) / "metering-conformance"
    try:
        check_destination(directory)
    except OSError as exc:
        raise pytest.UsageError(
            f"--conformance-report {directory}: cannot write traces there ({exc.strerror or exc})"
        ) from None
    return directory / "traces"


_RUN = pytest.StashKey[Any]()
_TRACES = pytest.StashKey[Path]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: every worker runs with the controller's seed."""
    if _RUN in node.config.stash:
        node.workerinput["conformance_seed"] = node.config.stash[_RUN].seed


def pytest_report_header(config: pytest.Config) -> str | None:
    if _RUN not in config.stash:
        return None
    run_config = config.stash[_RUN]
    return (
        f"conformance: target {run_config.target.name}, profile {run_config.profile.name}, "
        f"budget {run_config.budget}, seed {run_config.seed} "
        f"(repeat with --conformance-seed={run_config.seed})"
    )


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[Any]) -> None:
    if _RUN not in config.stash:
        return
    run_config = config.stash[_RUN]
    # its node ID is the collector's name alone (not ``::conformance``), so a rule's node ID
    # reads conformance::test_rule[ID] and pastes back (pytest_load_initial_conftests)
    collector = _RuleCollector.from_parent(session, name=_COLLECTOR, nodeid=_COLLECTOR)
    items.extend(
        RuleItem.from_parent(collector, name=f"test_rule[{rule}]", rule=rule, run_config=run_config)
        for rule in run_config.rule_ids()
    )


class _RuleCollector(pytest.Collector):
    def collect(self) -> list[Any]:
        return []


class RuleFailure(Exception):
    """A rule's campaign ended fail, flaky or not-reached; the message is the report's text."""


_opened: dict[Any, Any] = {}  # one model and target per process and run configuration


class RuleItem(pytest.Item):
    """One rule's campaign as a test. Side effects: opens (once per process) and drives the
    target; the target is closed when the session ends."""

    def __init__(self, *, rule: RuleId, run_config: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule
        self.run_config = run_config

    def runtest(self) -> None:
        from conformance.engine.budget import duration_seconds
        from conformance.engine.runner import run_rule, run_rule_for
        from conformance.reporting.report import failure_text
        from conformance.reporting.results import Verdict

        model, target = _open(self.run_config)
        duration = duration_seconds(self.run_config.budget)
        if duration is None:
            result = run_rule(self.run_config, self.rule, model, target)
        else:
            # pytest runs each rule as a test of its own: the time cannot move between rules,
            # so each gets an even share of it (workers share the rules, not the time)
            share = duration / len(self.run_config.rule_ids())
            result = run_rule_for(self.run_config, self.rule, model, target, share)
        if result.verdict == Verdict.UNTESTABLE:
            pytest.skip(f"untestable: {result.reason}")
        if result.verdict == Verdict.UNIMPLEMENTED:  # no trace to show: the operation is missing
            raise RuleFailure(f"{result.verdict}: {result.reason}")
        if result.verdict != Verdict.PASS:
            trace_file = self._save(result) if result.trace is not None else None
            text = failure_text(result, self.run_config.target, trace_file)
            raise RuleFailure(f"{result.verdict}\n{text}")

    def _save(self, result: Any) -> str:
        """The trace, and a pytest file that replays it, written where the failure says."""
        from conformance.reporting.trace import write_replay

        traces = self.config.stash[_TRACES]
        traces.mkdir(parents=True, exist_ok=True)
        return str(write_replay(traces, result.trace))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "conformance", 0, f"{self.rule} on {self.run_config.target.name}"


def _open(run_config: Any) -> tuple[Any, Any]:
    if run_config not in _opened:
        from conformance.engine.runner import open_target

        _opened[run_config] = open_target(run_config)
    return _opened[run_config]  # type: ignore[no-any-return]


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _opened:
        _, (_, target) = _opened.popitem()
        target.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Each untestable rule with its reason, without ``-rs`` (xdist workers' reports included)."""
    untestable = [
        report for report in terminalreporter.stats.get("skipped", []) if _NODE_ID.fullmatch(report.nodeid)
    ]
    if not untestable:
        return
    terminalreporter.section("conformance: untestable rules", sep="-")
    for report in untestable:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        rule = report.nodeid.rsplit("[", 1)[-1].rstrip("]")
        terminalreporter.write_line(f"{rule}: {reason.removeprefix('Skipped: ')}")


@pytest.fixture(scope="session")
def _metering_service_server(pytestconfig: pytest.Config) -> Any:
    from conformance.options import OptionError, parse_profile
    from conformance.sellers import MeteringService

    try:
        profile = parse_profile(pytestconfig.getoption("--conformance-profile"))
    except OptionError as exc:
        pytest.fail(f"--conformance-profile: {exc}", pytrace=False)
    with MeteringService(profile) as service:
        yield service


@pytest.fixture
def metering_service(_metering_service_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A faithful AWS Marketplace Metering Service for a seller's tests, like moto's
    ``mock_aws`` but the reference emulator over real HTTP on loopback, behind a fault proxy.

    Reset for each test: the default world (``conformance.sellers.world.json``), no records, no
    faults, the wall clock. The test's environment points any AWS SDK at it
    (``AWS_ENDPOINT_URL_MARKETPLACE_METERING``, throwaway credentials, us-east-1), so
    ``boto3.client("meteringmarketplace")`` in the code under test reaches it. Gives
    ``.endpoint_url``, ``.env``, ``.faults(rate, seed)``, ``.clock``, ``.records()``,
    ``.billed()``, ``.fixtures(...)``, ``.log()``, ``.check()`` (the client rules) and
    ``.reset()``; see :class:`conformance.sellers.MeteringService`."""
    service = _metering_service_server
    service.reset()
    wanted = service.process_env()  # what the code under `conformance client` gets
    for name in set(os.environ) - set(wanted):
        monkeypatch.delenv(name)
    for name, value in service.env.items():
        monkeypatch.setenv(name, value)
    return service
