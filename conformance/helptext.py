"""The words the command line and the pytest plugin both use for an option, in one place.

Standard library only and nothing imported: pytest loads the plugin in every session of an
environment that has it installed, and reads these when it builds its options.
"""

from __future__ import annotations

__all__ = ["CORPUS_HELP", "RATE_HELP"]

RATE_HELP = (
    "a request meets a fault with chance RATE, 0 to 0.5: a throttle, a 5xx, a reset before or "
    "after, latency, or for a batch a record reported unprocessed, evenly"
)
CORPUS_HELP = (
    "save the example that breaks a rule here, and replay this corpus's examples first: a "
    "directory (shared storage works) or redis://HOST:PORT[/DB]"
)
