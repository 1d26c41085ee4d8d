"""Running a seller's command once against a :class:`MeteringService`, under a given source of
faults, and keeping what it did."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from conformance.faults import Fault, FaultSource, RequestFaults
from conformance.models.control_record import ControlRecord
from conformance.models.seller import ClientLimits, LoggedCall, LogJudgement, judge_log
from conformance.sellers.service import MeteringService
from conformance.sellers.shrink import addressed_faults

__all__ = ["RUN_DIR_ENV", "Attempt", "ClientCommandError", "ClientRun", "run_client"]

_TAIL_LINES = 20


class ClientCommandError(Exception):
    """The command cannot be started (not found, not executable): bad usage."""


RUN_DIR_ENV = "CONFORMANCE_RUN_DIR"
"""An empty directory of each run's own, shared by its reruns: where a job that keeps state
between runs (an outbox of unsent usage) should keep it, so no run starts with another's."""


@dataclass(frozen=True)
class Attempt:
    """One start of the command within a run: the run itself, or a rerun after it gave up."""

    exit_code: int | None
    """None: it was still running at the timeout and was killed."""
    requests: int
    """How many requests the run had sent when it ended (this start's and those before)."""
    output: str = ""
    """The last lines it printed (standard output and error together)."""

    @property
    def ended(self) -> str:
        return "was killed at the timeout" if self.exit_code is None else f"exited {self.exit_code}"


@dataclass(frozen=True)
class ClientRun:
    """One run of the seller's command, with the reruns it took (as a scheduler reruns a job
    that exited non-zero): how each start ended, what they sent, what the service held after
    the last."""

    attempts: tuple[Attempt, ...]
    exchanges: tuple[LoggedCall, ...]
    records: tuple[ControlRecord, ...]
    limits: ClientLimits
    """What the client rules read from the service's pinned model."""
    seconds: float
    faults: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int | None:
        """How the last start ended (None: killed at the timeout)."""
        return self.attempts[-1].exit_code

    @property
    def output(self) -> str:
        return self.attempts[-1].output

    @property
    def gave_up(self) -> tuple[Attempt, ...]:
        """The starts that ended other than with exit 0 (each followed by a rerun, but maybe
        the last)."""
        return tuple(a for a in self.attempts if a.exit_code != 0)

    @cached_property
    def judgement(self) -> LogJudgement:
        """The client rules on its log, judged once however often it is asked."""
        return judge_log(self.exchanges, self.limits)

    @property
    def schedule(self) -> RequestFaults:
        """The faults its requests met, each addressed by the content of the request it met and
        which send of it that was: run again, the same code meets them again on the same
        usage, in whatever order it sends its requests."""
        return RequestFaults(dict(addressed_faults(self.exchanges)))

    @property
    def schedule_by_number(self) -> RequestFaults:
        """The faults its requests met, by the number of the request each met."""
        return RequestFaults({e.index: Fault.parse(e.fault) for e in self.exchanges})

    @property
    def ended(self) -> str:
        first = self.attempts[0].ended
        if len(self.attempts) == 1:
            return first
        reruns = len(self.attempts) - 1
        return f"{first}, then {self.attempts[-1].ended} on rerun {reruns}"

    @property
    def last_line(self) -> str:
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        return lines[-1] if lines else "(it printed nothing)"


def run_client(
    service: MeteringService,
    command: Sequence[str],
    faults: FaultSource,
    timeout: float,
    reruns: int = 0,
) -> ClientRun:
    """Run ``command`` against ``service``, reset first, its requests meeting ``faults``; while
    it exits non-zero (or is killed at ``timeout`` seconds), start it again, ``reruns`` times
    at most, as cron or a queue's redrive would: the service, the faults and the log go on.
    Raises ClientCommandError if it cannot be started. Side effects: resets the service;
    starts the command in its own process group, killed (with its children) at the timeout;
    gives it an empty directory of its own (``$CONFORMANCE_RUN_DIR``), removed after."""
    service.reset()
    service.use(faults)
    started = time.monotonic()
    attempts: list[Attempt] = []
    with tempfile.TemporaryDirectory(prefix="conformance-run-") as run_dir:
        env = {**service.process_env(), RUN_DIR_ENV: run_dir}
        while not attempts or (attempts[-1].exit_code != 0 and len(attempts) <= reruns):
            exit_code, tail = _start(command, env, timeout)
            attempts.append(Attempt(exit_code, len(service.log()), tail))
    return ClientRun(
        tuple(attempts),
        tuple(service.log()),
        tuple(service.records()),
        service.limits,
        time.monotonic() - started,
        service.fault_counts(),
    )


def _start(command: Sequence[str], env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """How one start of ``command`` ended, and the last lines it printed."""
    try:
        process = subprocess.Popen(
            list(command),
            env=env,
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
    return exit_code, "\n".join(output.decode(errors="replace").splitlines()[-_TAIL_LINES:])


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, signal.SIGKILL)
