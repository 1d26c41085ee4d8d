"""Every rule ID, as a type the checker follows: a mistyped ID anywhere fails ``mypy``.

The IDs are a public interface (reports, traces, test names and ``--rules`` use them). Each is
written out as a string, so ``grep BMU-WINDOW`` still finds the catalogue entry, the model branch
that decides it, its strategy, its tests and its mutants; :data:`RuleId` makes each of those a
checked literal. The catalogue holds one entry per ID here (a test keeps the two in step).
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

__all__ = ["RULE_IDS", "RuleId", "is_rule_id"]

RuleId = Literal[
    "WIRE-JSON",
    "WIRE-ERROR-SHAPE",
    "WIRE-STATUS",
    "WIRE-UNKNOWN-OP",
    "WIRE-MALFORMED",
    "WIRE-VALIDATION",
    "ALLOC-SUM",
    "ALLOC-UNIQUE-TAGS",
    "ALLOC-TAG-LIMIT",
    "ALLOC-TAG-FORMAT",
    "ALLOC-COUNT-LIMIT",
    "ALLOC-QUANTITY-FORM",
    "QTY-DECIMAL",
    "QTY-ONE-FORM",
    "QTY-BY-VALUE",
    "MU-ACCEPT",
    "MU-PRODUCT",
    "MU-DIMENSION",
    "MU-WINDOW",
    "MU-FUTURE",
    "MU-IDEMPOTENT",
    "MU-HOUR-DUPLICATE",
    "MU-CALLER-ISOLATION",
    "MU-QUANTITY-DEFAULT",
    "MU-DRYRUN",
    "MU-ENTITLEMENT",
    "MU-REGION",
    "MU-CLIENT-TOKEN",
    "MU-AGENTCORE",
    "BMU-ACCEPT",
    "BMU-PARTITION",
    "BMU-SIZE-LIMIT",
    "BMU-PAYLOAD-LIMIT",
    "BMU-WINDOW",
    "BMU-ATOMIC",
    "BMU-FUTURE",
    "BMU-PRODUCT",
    "BMU-DIMENSION",
    "BMU-NOT-SUBSCRIBED",
    "BMU-UNKNOWN-CUSTOMER",
    "BMU-IDEMPOTENT",
    "BMU-DUPLICATE",
    "BMU-IN-BATCH-DUPLICATE",
    "BMU-CUSTOMER-ISOLATION",
    "BMU-PRODUCT-ISOLATION",
    "BMU-EMPTY",
    "BMU-ACCOUNT-ID",
    "BMU-LICENSE",
    "BMU-CONCURRENT-AGREEMENTS",
    "BMU-API-ENABLED",
    "RC-RESOLVE",
    "RC-INVALID",
    "RC-EXPIRED",
    "RC-REUSE",
    "RC-METERABLE",
    "RC-AGREEMENT",
    "RU-SIGNATURE",
    "RU-NONCE",
    "RU-PRODUCT",
    "RU-KEY-VERSION",
    "RU-ENTITLEMENT",
    "RU-PLATFORM",
    "RU-FIRST-CALL-ONLY",
    "RU-REGION",
    "RETRY-CONVERGES",
    "CONC-LINEARIZABLE",
    "CLIENT-EXACTLY-ONCE",
    "CLIENT-BATCH-SIZE",
    "CLIENT-WINDOW",
    "CLIENT-WELL-FORMED",
    "CLIENT-RETRY-FAILED",
    "CLIENT-RETRY-UNPROCESSED",
    "CLIENT-NO-STORM",
    "CLIENT-BACKOFF",
    "CLIENT-IDENTICAL-RETRY",
]

RULE_IDS: frozenset[str] = frozenset(get_args(RuleId))


def is_rule_id(text: str) -> TypeGuard[RuleId]:
    """Whether ``text`` (from a command line, a trace file, a report) names a rule."""
    return text in RULE_IDS
