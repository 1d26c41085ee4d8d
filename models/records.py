"""The records oracle's comparison: what a target lists as recorded against what the model holds.

A target with the control protocol's ``records`` capability lists every usage record it accepted
(``GET /_conformance/records``). Each record is placed under the model's usage key (caller or
customer, product, dimension, hour); :func:`record_differences` then names every way the list
and the model's state disagree: a key recorded twice, a record of a key the model holds nothing
for, a key the model certainly recorded with no record, and a record whose quantity, allocations
or MeteringRecordId no entry the model allows has.

The comparison is of one moment. The harness compares before and after a step, and blames only
the differences the step made (``conformance.engine.verdict``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .control_record import ControlRecord
from .expect import Allowed, Judgement, Mismatch, Problem, ProcessBatch
from .model import hour_of, refusing_rules
from .outcomes import BatchMeterUsageResult, Outcome, ServiceError
from .requests import BatchMeterUsage, MeterUsage, allocations_key
from .rule_ids import RuleId
from .state import Entry, ModelState, UsageKey

__all__ = ["Difference", "record_differences", "records_mismatches"]

# one disagreement: the usage key it concerns (None: a record the model cannot place), and why
Difference = tuple[UsageKey | None, str]

_CLIENT_TOKEN = "client token"  # placed by its ClientToken, not by the hour (AgentCore callers)


def record_differences(
    state: ModelState, records: Sequence[ControlRecord], agentcore_platforms: Iterable[str]
) -> frozenset[Difference]:
    """Every disagreement between ``records`` (as the control protocol lists them) and the
    usage ``state`` holds. Empty in an open world, where the model does not know what is
    recorded."""
    if state.open_world:
        return frozenset()
    platforms = frozenset(agentcore_platforms)
    found: set[Difference] = set()
    by_key: dict[UsageKey, list[ControlRecord]] = {}
    by_token = 0
    for record in records:
        key = _key_of(state, record, platforms)
        if key == _CLIENT_TOKEN:
            by_token += 1
        elif isinstance(key, UsageKey):
            by_key.setdefault(key, []).append(record)
        else:
            found.add((None, f"a record the model holds nothing like: {_describe(record)}"))
    certain = {key for key, possible in state.usage.items() if None not in possible}
    for key in sorted(set(by_key) | certain):
        listed = by_key.get(key, [])
        possible = state.possible(key)
        if len(listed) > 1:
            found.add((key, f"{len(listed)} records of {_name(key)}, where one at most may be"))
        elif not listed:
            found.add((key, f"no record of {_name(key)}, which the target accepted"))
        elif possible == {None}:
            found.add((key, f"a record of {_name(key)}, which nothing accepted: {_describe(listed[0])}"))
        elif not any(_matches(listed[0], entry) for entry in possible if entry is not None):
            sent = ", ".join(sorted(_show(entry) for entry in possible if entry is not None))
            found.add(
                (key, f"the record of {_name(key)} is {_describe(listed[0])}, where the request sent {sent}")
            )
    if by_token > len(state.client_tokens):
        found.add(
            (None, f"{by_token} records of AgentCore callers, for {len(state.client_tokens)} ClientTokens")
        )
    return frozenset(found)


def _key_of(state: ModelState, record: ControlRecord, platforms: frozenset[str]) -> UsageKey | str | None:
    moment = record.moment
    if record.product_code is None or record.dimension is None or moment is None:
        return None
    product, dimension, hour = record.product_code, record.dimension, hour_of(moment)
    world = state.world
    if record.operation == "MeterUsage":
        caller_key = record.caller_access_key_id or ""
        declared = world.callers.get(caller_key)
        if declared is not None and declared.platform in platforms:
            return _CLIENT_TOKEN
        return UsageKey("MeterUsage", product, caller_key, dimension, hour)
    if record.customer_identifier is not None:
        customer = world.customers.get((product, record.customer_identifier))
    else:
        customer = world.customer_by_account(product, record.customer_aws_account_id or "")
    if customer is None:
        return None
    return UsageKey("BatchMeterUsage", product, customer.identifier, dimension, hour)


def _matches(record: ControlRecord, entry: Entry) -> bool:
    if {"quantity", "allocations"} & set(record.unreadable):
        return False
    if entry.quantity is not None and record.quantity_decimal() != entry.quantity:
        return False
    if entry.allocations is not None and allocations_key(record.allocations) != entry.allocations:
        return False
    return not entry.record_id or record.metering_record_id == entry.record_id


def _name(key: UsageKey) -> str:
    who = "caller" if key.operation == "MeterUsage" else "customer"
    return (
        f"{key.operation} {who} {key.subject or '(unsigned)'}, product {key.product_code}, "
        f"dimension {key.dimension}, hour {key.hour:%Y-%m-%dT%H:00Z}"
    )


def _describe(record: ControlRecord) -> str:
    shown = record.shown()
    return ", ".join(f"{k} {v}" for k, v in shown.items()) or "an empty record"


def _show(entry: Entry) -> str:
    parts = [f"quantity {entry.quantity}" if entry.quantity is not None else "some quantity"]
    if entry.allocations:
        parts.append(f"{len(entry.allocations)} allocation(s)")
    if entry.record_id:
        parts.append(f"meteringRecordId {entry.record_id}")
    return " ".join(parts)


def records_mismatches(
    allowed: Allowed, judgement: Judgement, made: frozenset[Difference], outcome: Outcome
) -> tuple[Mismatch, ...]:
    """The records oracle: what a step changed in the target's records must be what the model
    took from it: nothing for a refused request, a DryRun or an identical
    retry; one record per accepted key, with what was sent. A difference the step made is
    blamed on the rules that decided that key in the step."""
    blamed: dict[RuleId, list[str]] = {}
    for key, text in sorted(made, key=str):
        for rule in _blamed_rules(key, allowed, judgement, outcome):
            blamed.setdefault(rule, []).append(text)
    return tuple(
        Mismatch(rule, Problem.RECORDS, detail="; ".join(texts)) for rule, texts in sorted(blamed.items())
    )


def _blamed_rules(
    key: UsageKey | None, allowed: Allowed, judgement: Judgement, outcome: Outcome
) -> frozenset[RuleId]:
    request = allowed.request
    if isinstance(request, MeterUsage) and request.dry_run:
        return frozenset({"MU-DRYRUN"})  # MU-DRYRUN: a dry run never records
    if isinstance(outcome, ServiceError):
        # BMU-ATOMIC: a refused batch records none of its records
        atomic: set[RuleId] = {"BMU-ATOMIC"} if isinstance(request, BatchMeterUsage) else set()
        return frozenset(refusing_rules(allowed) | atomic) or judgement.decided
    if isinstance(outcome, BatchMeterUsageResult) and key is not None:
        rules = {
            option.rule
            for batch in allowed.alternatives
            if isinstance(batch, ProcessBatch)
            for expectation, result in zip(batch.records, outcome.results, strict=False)
            if expectation.key == key
            for option in expectation.options
            if option.status == result.status
        }
        if rules:
            return frozenset(rules)
    return judgement.decided
