"""The corpus of failing examples: Hypothesis example databases in which a campaign saves the
example that broke its rule, and from which the next campaign of that rule, profile and target
replays every saved example first, on this machine or another that reaches the same corpus.

``--corpus LOCATION`` is written and read; each ``--shared-corpus LOCATION`` is only read (the
laptop pattern: a developer replays what CI found without writing into CI's corpus). A location
is a directory (shared storage works), or ``redis://HOST:PORT[/DB]`` through Hypothesis's Redis
database (needs the ``redis`` package). The databases of one process are opened once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.models.rule_ids import RuleId

if TYPE_CHECKING:  # Hypothesis is imported where a corpus is opened, not by the CLI's checks
    from hypothesis.database import ExampleDatabase

__all__ = ["check_location", "corpus_database", "corpus_key"]

_REDIS = "redis://"


def check_location(text: str) -> str:
    """A corpus location as given, checked: a ``redis://`` URL needs the redis package; a
    directory must be one, or not exist yet. Raises ValueError saying how to fix it."""
    if text.startswith(_REDIS):
        import importlib.util

        if importlib.util.find_spec("redis") is None:
            raise ValueError(f"{text}: a Redis corpus needs the redis package (pip install redis)")
        return text
    if Path(text).exists() and not Path(text).is_dir():
        raise ValueError(f"{text} is a file, not a corpus directory; give a directory or redis://HOST:PORT")
    return text


@cache
def corpus_database(corpus: str | None, shared: tuple[str, ...] = ()) -> ExampleDatabase | None:
    """The database campaigns save to and replay from: ``corpus`` written and read, each of
    ``shared`` read only; None when neither is given."""
    if corpus is None and not shared:
        return None
    from hypothesis.database import MultiplexedDatabase, ReadOnlyDatabase

    read_only = [ReadOnlyDatabase(_open(location)) for location in shared]
    if corpus is None:
        return read_only[0] if len(read_only) == 1 else MultiplexedDatabase(*read_only)
    return MultiplexedDatabase(_open(corpus), *read_only) if read_only else _open(corpus)


def corpus_key(rule: RuleId, profile: str, target: str) -> bytes:
    """What a campaign's examples are saved under: an example replays only where it was found
    (the same rule, profile and kind of target), so no campaign discards another's."""
    return f"metering-conformance/{rule}/{profile}/{target}".encode()


def _open(location: str) -> ExampleDatabase:
    from hypothesis.database import DirectoryBasedExampleDatabase

    if location.startswith(_REDIS):
        from hypothesis.extra.redis import RedisExampleDatabase
        from redis import Redis  # type: ignore[import-not-found,unused-ignore]

        return RedisExampleDatabase(Redis.from_url(location))
    return DirectoryBasedExampleDatabase(location)
