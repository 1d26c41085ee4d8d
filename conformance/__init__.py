"""metering-conformance: a conformance harness for the AWS Marketplace Metering Service.

The only package that does I/O: targets, the state machine, campaigns, reports, the CLI, the
pytest plugin and the reference emulator live here.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
