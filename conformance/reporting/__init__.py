"""What a run leaves behind: traces (the replayable record of a campaign), the per-rule results,
and the report in its three formats. Imports ``targets`` (for the run's options), ``wire`` and
``models``; the engine fills these types in, so nothing here imports the engine."""

from conformance.config import RunConfig
from conformance.reporting.report import VERDICTS, Report, failure_text, summary_table, trace_path
from conformance.reporting.results import RuleResult
from conformance.reporting.trace import TRACE_VERSION, Trace, TraceError, TraceStep, pytest_source

__all__ = [
    "TRACE_VERSION",
    "VERDICTS",
    "Report",
    "RuleResult",
    "RunConfig",
    "Trace",
    "TraceError",
    "TraceStep",
    "failure_text",
    "pytest_source",
    "summary_table",
    "trace_path",
]
