"""The harness measured: realistic bugs of the reference service (``mutants``, hooks the
service calls), their certification (``mutation``, ``conformance bench mutants``) and the speed
benchmark (``bench``, ``conformance bench speed``). Above the engine, below the CLI: nothing
the engine or the emulator runs imports it."""

from conformance.lab.mutants import CORRECT, MUTANTS, Mutant

__all__ = ["CORRECT", "MUTANTS", "Mutant"]
