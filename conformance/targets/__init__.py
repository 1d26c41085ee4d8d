"""Targets: implementations of the Metering Service the harness can judge.

An adapter opens, resets, invokes and closes; it holds no rules. Service errors come back as
outcomes, transport failures as indeterminate outcomes; an adapter never raises for either.
"""

from conformance.targets.base import Target
from conformance.targets.reference import ReferenceTarget

__all__ = ["ReferenceTarget", "Target"]
