"""Fault injection: a loopback HTTP proxy between the harness and a target that throttles, fails,
resets connections before or after the target saw a request, delays, and loses records from
batch answers, at configurable rates drawn from a seed (``conformance proxy``, ``conformance
run --faults RATE``)."""

from conformance.faults.plan import FAULT_HEADER, FAULT_KINDS, NO_FAULT, Fault, FaultPlan, FaultRates
from conformance.faults.proxy import FaultProxy

__all__ = ["FAULT_HEADER", "FAULT_KINDS", "NO_FAULT", "Fault", "FaultPlan", "FaultProxy", "FaultRates"]
