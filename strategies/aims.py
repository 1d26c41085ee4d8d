"""How each rule is reached: what a campaign about it draws most.

A campaign sends the first drawn request its rule decides, so every candidate the rule does not
decide is generation spent for nothing. An :class:`Aim` tilts the draws toward the requests
that reach a rule: the request kind (three draws in four), the defects (half the requests of
that kind), and the rule itself, which lets a defect narrow its cases (the ALLOC rules each have
their own allocations). Rules reached only through state (duplicates, isolation, idempotency)
aim at their operation and let the repeats of recorded keys do the rest. Nothing here forbids a
draw: an aimed campaign still draws every kind and every defect, only less often.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from conformance.models.catalogue import OPERATION_OF_KIND, RULES_BY_ID
from conformance.models.rule_ids import RuleId

__all__ = ["AIMS", "Aim", "aim_for"]


@dataclass(frozen=True)
class Aim:
    """``kind``: one of ``conformance.strategies.REQUEST_KINDS`` (None: every kind alike). ``defects``:
    defects of that kind drawn half the time. ``repeat``: records on keys the model holds drawn
    two times in three, and among them this kind three times as often: ``same`` (the same
    key), ``beside`` (its dimension and hour for another customer or caller) or ``foreign``
    (a key of another product, for a customer of this one). ``zeros``: valid quantities are 0
    (named or omitted) half the time, so a repeat can toggle the form. ``heavy``: megabyte bodies may be
    drawn (they cost every campaign that does not need them). ``fresh``: a repeat of a sent request
    does not end the search for a request that decides the rule, a new draw does (a window
    rule's repeats are only older, never nearer an edge). ``month_end``: the clock moves twice
    as often, and half its moves go to the month-end cutoff (in a profile that has one).
    ``agentcore``: MeterUsage comes from an AgentCore caller half the time (where the world has
    one). ``respell``: a repeat of a key sends its value in the other form (17 for "17.0") half
    the time. ``retry``: an indeterminate answer is followed by the identical request until an
    answer decides it (the campaign's engine does this). ``after_resolve``: the kind drawn once a
    customer was resolved to an identifier (a rule about using what ResolveCustomer returned).
    ``rule``: the rule aimed at."""

    kind: str | None = None
    defects: tuple[str, ...] = ()
    repeat: str | None = None
    zeros: bool = False
    heavy: bool = False
    fresh: bool = False
    month_end: bool = False
    agentcore: bool = False
    respell: bool = False
    retry: bool = False
    after_resolve: str | None = None
    rule: RuleId | None = None

    def kind_in(self, resolved: bool) -> str | None:
        """The request kind to draw, once a customer was resolved (``resolved``) or before."""
        return self.after_resolve if resolved and self.after_resolve else self.kind


_ALLOCATION_RULES: tuple[RuleId, ...] = (
    "ALLOC-SUM",
    "ALLOC-UNIQUE-TAGS",
    "ALLOC-TAG-LIMIT",
    "ALLOC-TAG-FORMAT",
    "ALLOC-COUNT-LIMIT",
)

AIMS: dict[RuleId, Aim] = {
    "WIRE-MALFORMED": Aim("raw"),
    "WIRE-UNKNOWN-OP": Aim("raw"),
    "WIRE-VALIDATION": Aim("invalid"),
    **{rule: Aim("BatchMeterUsage", ("allocations",)) for rule in _ALLOCATION_RULES},
    "ALLOC-QUANTITY-FORM": Aim("BatchMeterUsage", ("quantity",)),
    "QTY-ONE-FORM": Aim("BatchMeterUsage", ("quantity",)),
    "QTY-DECIMAL": Aim("BatchMeterUsage", ("quantity",)),
    "MU-PRODUCT": Aim("MeterUsage", ("product",)),
    "MU-DIMENSION": Aim("MeterUsage", ("dimension",)),
    "MU-WINDOW": Aim("MeterUsage", ("timestamp",), fresh=True),
    "MU-FUTURE": Aim("MeterUsage", ("timestamp",), fresh=True),
    "MU-DRYRUN": Aim("MeterUsage", ("dryrun",)),
    # new ClientTokens in one hour: what an AgentCore caller may do and others may not
    "MU-AGENTCORE": Aim("MeterUsage", fresh=True, agentcore=True),
    # usage recorded, then defects: a retry must settle on one record per key
    "RETRY-CONVERGES": Aim("BatchMeterUsage", repeat="same", retry=True),
    "MU-ENTITLEMENT": Aim("MeterUsage", ("caller",)),
    "MU-REGION": Aim("MeterUsage", ("caller",)),
    "BMU-SIZE-LIMIT": Aim("BatchMeterUsage", ("size",)),
    # a megabyte body costs tens of milliseconds to judge: drawn as often as any defect, no more
    "BMU-PAYLOAD-LIMIT": Aim("BatchMeterUsage", heavy=True),
    "BMU-WINDOW": Aim("BatchMeterUsage", ("timestamp",), fresh=True, month_end=True),
    "BMU-FUTURE": Aim("BatchMeterUsage", ("timestamp",), fresh=True),
    "BMU-PRODUCT": Aim("BatchMeterUsage", ("product",)),
    "BMU-DIMENSION": Aim("BatchMeterUsage", ("dimension",)),
    "BMU-NOT-SUBSCRIBED": Aim("BatchMeterUsage", ("customer",)),
    "BMU-UNKNOWN-CUSTOMER": Aim("BatchMeterUsage", ("customer",)),
    "BMU-ACCOUNT-ID": Aim("BatchMeterUsage", ("customer",)),
    "BMU-LICENSE": Aim("BatchMeterUsage", ("customer",)),
    "BMU-EMPTY": Aim("BatchMeterUsage", ("empty",)),
    "BMU-IN-BATCH-DUPLICATE": Aim("BatchMeterUsage", ("conflict",)),
    "BMU-IDEMPOTENT": Aim("BatchMeterUsage", repeat="same"),
    "BMU-DUPLICATE": Aim("BatchMeterUsage", repeat="same"),
    "BMU-ATOMIC": Aim("BatchMeterUsage", repeat="same"),  # after a refusal, whatever the target refuses
    "BMU-CUSTOMER-ISOLATION": Aim("BatchMeterUsage", repeat="beside"),
    "BMU-PRODUCT-ISOLATION": Aim("BatchMeterUsage", repeat="foreign"),
    "QTY-BY-VALUE": Aim("BatchMeterUsage", repeat="same", respell=True),
    "MU-IDEMPOTENT": Aim("MeterUsage", repeat="same"),
    "MU-HOUR-DUPLICATE": Aim("MeterUsage", repeat="same"),
    "MU-QUANTITY-DEFAULT": Aim("MeterUsage", repeat="same", zeros=True),
    "MU-CALLER-ISOLATION": Aim("MeterUsage", repeat="beside"),
    # resolve a customer, then meter it: batches once one is resolved to an identifier
    "RC-METERABLE": Aim("ResolveCustomer", after_resolve="BatchMeterUsage"),
    "RU-PRODUCT": Aim("RegisterUsage", ("product",)),
    "RU-KEY-VERSION": Aim("RegisterUsage", ("version",)),
    "RU-ENTITLEMENT": Aim("RegisterUsage", ("caller",)),
    "RU-PLATFORM": Aim("RegisterUsage", ("caller",)),
    "RU-REGION": Aim("RegisterUsage", ("caller",)),
}


def aim_for(rule: RuleId) -> Aim:
    """The aim of a campaign about ``rule``: its entry in :data:`AIMS`, else its family's kind."""
    aim = AIMS.get(rule) or Aim(OPERATION_OF_KIND.get(RULES_BY_ID[rule].kind))
    return replace(aim, rule=rule)
