"""Making a campaign's draws depend on its seed alone.

Hypothesis (6.131 and later) mixes constants it finds in the source of the process's local
modules into its draws, and caches the pool the first time each kind of draw asks for it. What
a seed draws then depends on which modules the process had loaded: the CLI, a worker of the
process pool, and a pytest-xdist worker that also loaded the user's conftest all differ, so the
same ``--seed`` gave different verdicts. Campaigns draw with Hypothesis's own constants only.
"""

from __future__ import annotations

__all__ = ["without_source_constants"]

_done = False


def without_source_constants() -> None:
    """Side effect, once per process: Hypothesis no longer draws constants from local modules.
    A Hypothesis without the feature is left alone."""
    global _done
    if _done:
        return
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # a Hypothesis older than the feature
        return
    if not hasattr(providers, "_get_local_constants"):
        return
    empty = Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()  # pools computed before this point
    _done = True
