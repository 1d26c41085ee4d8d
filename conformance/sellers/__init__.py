"""Client conformance: a seller's own metering code judged under faults against the reference
emulator (``conformance client``, the ``metering_service`` pytest fixture)."""

from conformance.sellers.certify import (
    BaselineError,
    ClientConfig,
    ClientReport,
    ClientRuleResult,
    certify_client,
)
from conformance.sellers.command import ClientCommandError, ClientRun, run_client
from conformance.sellers.pool import ServicePool, default_workers
from conformance.sellers.report import (
    CLIENT_REPORT_FILES,
    client_replay_command,
    render_client,
    write_client_report,
)
from conformance.sellers.service import ACCESS_KEY_ID, Clock, MeteringService, default_world

__all__ = [
    "ACCESS_KEY_ID",
    "CLIENT_REPORT_FILES",
    "BaselineError",
    "ClientCommandError",
    "ClientConfig",
    "ClientReport",
    "ClientRuleResult",
    "ClientRun",
    "Clock",
    "MeteringService",
    "ServicePool",
    "certify_client",
    "client_replay_command",
    "default_workers",
    "default_world",
    "render_client",
    "run_client",
    "write_client_report",
]
