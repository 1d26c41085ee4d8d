"""Running a seller's command once against a :class:`MeteringService`, under a given source of
faults, and keeping what it did."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from conformance.faults import Fault, FaultSource, RequestFaults
from conformance.models.control_record import ControlRecord
from conformance.models.seller import ClientLimits, LoggedCall, LogJudgement, judge_log
from conformance.sellers.service import MeteringService

__all__ = ["ClientCommandError", "ClientRun", "run_client"]

_TAIL_LINES = 20


class ClientCommandError(Exception):
    """The command cannot be started (not found, not executable): bad usage."""


@dataclass(frozen=True)
class ClientRun:
    """One run of the seller's command: how it ended, what it sent, what the service held."""

    exit_code: int | None
    """None: it was still running at the timeout and was killed."""
    exchanges: tuple[LoggedCall, ...]
    records: tuple[ControlRecord, ...]
    limits: ClientLimits
    """What the client rules read from the service's pinned model."""
    seconds: float
    faults: dict[str, int] = field(default_factory=dict)
    output: str = ""
    """The last lines it printed (standard output and error together)."""

    @cached_property
    def judgement(self) -> LogJudgement:
        """The client rules on its log, judged once however often it is asked."""
        return judge_log(self.exchanges, self.limits)

    @property
    def schedule(self) -> RequestFaults:
        """The faults its requests met, by request: run again, the same code meets them again."""
        return RequestFaults({e.index: Fault.parse(e.fault) for e in self.exchanges})

    @property
    def ended(self) -> str:
        return "was killed at the timeout" if self.exit_code is None else f"exited {self.exit_code}"

    @property
    def last_line(self) -> str:
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        return lines[-1] if lines else "(it printed nothing)"


def run_client(
    service: MeteringService, command: Sequence[str], faults: FaultSource, timeout: float
) -> ClientRun:
    """Run ``command`` once against ``service``, reset first, its requests meeting ``faults``.
    Raises ClientCommandError if it cannot be started. Side effects: resets the service; starts
    the command in its own process group, killed (with its children) at ``timeout`` seconds."""
    service.reset()
    service.use(faults)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            list(command),
            env=service.process_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise ClientCommandError(
            f"{command[0]!r}: no such command; give the seller's program and its arguments after --"
        ) from None
    except PermissionError:
        raise ClientCommandError(
            f"{command[0]!r} is not executable; run it through its interpreter"
        ) from None
    exit_code: int | None
    try:
        output, _ = process.communicate(timeout=timeout)
        exit_code = process.returncode
    except subprocess.TimeoutExpired:
        _kill_group(process)
        output, _ = process.communicate()
        exit_code = None
    tail = output.decode(errors="replace").splitlines()[-_TAIL_LINES:]
    return ClientRun(
        exit_code,
        tuple(service.log()),
        tuple(service.records()),
        service.limits,
        time.monotonic() - started,
        service.fault_counts(),
        "\n".join(tail),
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, signal.SIGKILL)
