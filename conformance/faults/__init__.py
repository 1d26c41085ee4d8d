"""Fault injection: throttles, service failures, connections reset before or after the target
saw a request, delays, and records lost from batch answers, at configurable rates drawn from a
seed. Injected by a loopback HTTP proxy in front of an HTTP target (``conformance proxy``) or
in process in front of the reference emulator (``conformance run --faults RATE``)."""

from conformance.faults.inject import FaultInjector
from conformance.faults.plan import (
    FAULT_HEADER,
    FAULT_KINDS,
    Fault,
    FaultPlan,
    FaultRates,
    FaultSchedule,
    RequestFaults,
    Sent,
    draw_fault,
    parse_rate,
)
from conformance.faults.proxy import FaultProxy, FaultSource

__all__ = [
    "FAULT_HEADER",
    "FAULT_KINDS",
    "Fault",
    "FaultInjector",
    "FaultPlan",
    "FaultProxy",
    "FaultRates",
    "FaultSchedule",
    "FaultSource",
    "RequestFaults",
    "Sent",
    "draw_fault",
    "parse_rate",
]
