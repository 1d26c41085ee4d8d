"""Fault injection: a loopback HTTP proxy between the harness and a target that throttles, fails,
resets connections before or after the target saw a request, delays, and loses records from
batch answers, at configurable rates drawn from a seed (``conformance proxy``, ``conformance
run --faults RATE``)."""

from conformance.faults.proxy import FAULT_KINDS, FaultProxy, FaultRates

__all__ = ["FAULT_KINDS", "FaultProxy", "FaultRates"]
