"""Campaigns and runs: one Hypothesis state machine per rule, the exchange step every request
goes through, minimizing and replaying traces, budgets, and the speed benchmark. The top of the
library below the CLI and the pytest plugin: it may import every other layer."""

from conformance.config import RunConfig
from conformance.engine.budget import BUDGETS, Budget
from conformance.engine.replay import ReplayResult, diff_lines, replay, replay_file
from conformance.engine.runner import START, open_target, parallelism, run, run_rule
from conformance.reporting.results import RuleResult

__all__ = [
    "BUDGETS",
    "START",
    "Budget",
    "ReplayResult",
    "RuleResult",
    "RunConfig",
    "diff_lines",
    "open_target",
    "parallelism",
    "replay",
    "replay_file",
    "run",
    "run_rule",
]
