"""The reference emulator: the model as a service (``ReferenceService``), served over HTTP with
the control protocol (``Emulator``, ``conformance serve``), and the keys that sign
RegisterUsage tokens. Imports ``wire`` and ``models``; never a target or the engine."""

from conformance.emulator.server import DEFAULT_SCOPE, MAX_BODY, Emulator, Scope
from conformance.emulator.service import ReferenceService
from conformance.emulator.signing import KeyRing, verify

__all__ = ["DEFAULT_SCOPE", "MAX_BODY", "Emulator", "KeyRing", "ReferenceService", "Scope", "verify"]
