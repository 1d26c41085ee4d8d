"""Allowed outcomes and the judge that compares a target's outcome with them.

The model answers a request with an :class:`Allowed`: a tuple of alternatives, each naming the
rule that decides it. :meth:`Allowed.judge` says whether an observed outcome is one of them and,
if not, which rules the divergence is attributed to, with an ``Expected`` and a ``Received``
line a person can read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from . import jwt
from .outcomes import (
    BatchMeterUsageResult,
    MeterUsageResult,
    Outcome,
    RecordResult,
    RegisterUsageResult,
    ResolveCustomerResult,
    ServiceError,
    is_indeterminate,
)
from .plans import Plan
from .requests import CallContext, Request, UsageRecord
from .rule_ids import RuleId

__all__ = [
    "Accept",
    "Allowed",
    "Alternative",
    "Group",
    "IdSpec",
    "Judgement",
    "Mismatch",
    "Problem",
    "ProcessBatch",
    "RecordExpectation",
    "RecordOption",
    "Register",
    "Reject",
    "Resolve",
    "describe_outcome",
    "match_records",
]


@dataclass(frozen=True)
class IdSpec:
    """The MeteringRecordId a success must carry: ``bound`` exactly, or a ``fresh`` one, or any."""

    bound: str | None = None
    fresh: bool = False

    def describe(self) -> str:
        if self.bound is not None:
            return f"MeteringRecordId {self.bound!r}"
        return "a new MeteringRecordId" if self.fresh else "a MeteringRecordId"


@dataclass(frozen=True)
class Reject:
    """The whole request is refused with one of ``codes`` (None: any 4xx error; ``suggested``
    is then the code a faithful implementation answers, which the emulator uses)."""

    rule: RuleId
    codes: frozenset[str] | None = None
    suggested: str | None = None
    detail: str | None = field(default=None, compare=False)
    """What is wrong, for the emulator's error message (``UsageRecords: 26 items, more than 25``)."""
    unsure: bool = False
    """Refused only if a record the harness cannot see is there (a key earlier examples or runs
    may have recorded, on a target that is not reset): a possibility, not a fault of the
    request, so :func:`conformance.models.model.faults` leaves it out."""

    def describe(self) -> str:
        if self.codes is None:
            return f"a 4xx error ({self.rule})"
        return f"{' or '.join(sorted(self.codes))} ({self.rule})"


@dataclass(frozen=True)
class Accept:
    """MeterUsage answers 200; ``records`` False for a DryRun that must record nothing."""

    rule: RuleId
    record_id: IdSpec = IdSpec()
    records: bool = True
    unsure: bool = False
    """Allowed only because of a record the harness cannot see (as :attr:`Reject.unsure`): an
    answer it explains decides nothing."""

    def describe(self) -> str:
        what = self.record_id.describe() if self.records else "nothing recorded"
        return f"200 with {what} ({self.rule})"


@dataclass(frozen=True)
class RecordOption:
    rule: RuleId
    status: str
    record_id: IdSpec = IdSpec()
    unsure: bool = False  # as Accept.unsure: the rule does not decide this record

    def describe(self) -> str:
        if self.status == "Success":
            return f"Success with {self.record_id.describe()} ({self.rule})"
        return f"{self.status} ({self.rule})"


@dataclass(frozen=True)
class RecordExpectation:
    """What one record may get. ``key``: records with equal keys may share a MeteringRecordId,
    records with different keys (or no key) must not."""

    record: UsageRecord
    options: tuple[RecordOption, ...]
    key: object | None = None


@dataclass(frozen=True)
class Group:
    """Records of one batch that share a key: at most one quantity among them is honoured
    (exactly one when nothing can be recorded under the key yet), and the records with that
    quantity share one MeteringRecordId."""

    indices: tuple[int, ...]
    exactly_one: bool


@dataclass(frozen=True)
class ProcessBatch:
    """BatchMeterUsage answers 200 with a result for every record."""

    rule: RuleId
    records: tuple[RecordExpectation, ...]
    groups: tuple[Group, ...] = ()

    def describe(self) -> str:
        if not self.records:
            return f"200 with empty Results ({self.rule})"
        lines = [f"200 with a result per record ({self.rule}):"]
        for i, rec in enumerate(self.records):
            lines.append(f"  [{i}] " + " or ".join(o.describe() for o in rec.options))
        return "\n".join(lines)


@dataclass(frozen=True)
class Resolve:
    """ResolveCustomer answers the token's identity. With ``agreements`` (RC-AGREEMENT) an
    AgreementId, if the answer carries one, is ``agreement_id``; with ``identifier_hidden`` (a
    product on concurrent agreements) CustomerIdentifier is not populated."""

    rule: RuleId
    customer_identifier: str
    customer_aws_account_id: str | None
    product_code: str
    license_arn: str | None = None
    agreement_id: str | None = None
    agreements: bool = False
    identifier_hidden: bool = False

    def describe(self) -> str:
        parts = [
            "no CustomerIdentifier"
            if self.identifier_hidden
            else f"CustomerIdentifier {self.customer_identifier!r}",
            f"ProductCode {self.product_code!r}",
        ]
        if self.customer_aws_account_id is not None:
            parts.append(f"CustomerAWSAccountId {self.customer_aws_account_id!r}")
        if self.license_arn is not None:
            parts.append(f"LicenseArn {self.license_arn!r}")
        if self.agreements:
            parts.append(
                f"AgreementId {self.agreement_id!r} or none" if self.agreement_id else "no AgreementId"
            )
        return f"200 with {', '.join(parts)} ({self.rule})"


@dataclass(frozen=True)
class Register:
    """RegisterUsage answers 200 with a PS256 JWT whose claims match the request and now."""

    rule: RuleId
    product_code: str
    public_key_version: int
    nonce: str | None
    now: datetime
    tolerance: timedelta

    def describe(self) -> str:
        claims = f"productCode {self.product_code!r}, publicKeyVersion {self.public_key_version}"
        if self.nonce is not None:
            claims += f", nonce {self.nonce!r}"
        return f"200 with a PS256 Signature claiming {claims}, iat near now ({self.rule})"


Alternative = Reject | Accept | ProcessBatch | Resolve | Register


class Problem(StrEnum):
    """How an answer breaks a rule. ``conformance.reporting.render.mismatch_text`` words each
    one from the fields of its ``Mismatch``."""

    EXPECTED = "expected"  # another answer altogether: expected
    VALUE = "value"  # subject received, expected
    STATUS = "status"  # a record's status: expected, received
    NO_ID = "no-id"  # a success without a MeteringRecordId
    NOT_BOUND = "not-bound"  # MeteringRecordId received, not the bound expected
    ID_TAKEN = "id-taken"  # MeteringRecordId received belongs to another record
    ID_SHARED = "id-shared"  # records (two) share MeteringRecordId received, different records
    ECHO_CHANGED = "echo-changed"  # subject expected echoed as received
    COUNT = "count"  # expected records sent, received returned
    NOT_ECHOED = "not-echoed"  # records not echoed unchanged
    GROUP_HONOURED = "group-honoured"  # records share a key: expected must be honoured, received were
    GROUP_STATUS = "group-status"  # record identical to the honoured one got status received
    GROUP_IDS = "group-ids"  # identical records got different MeteringRecordIds
    POPULATED = "populated"  # subject received populated for a product on concurrent agreements
    NOT_JWT = "not-jwt"  # the Signature is not a JWT: detail
    SIGNATURE = "signature"  # the Signature does not verify with the public key of subject: detail
    NOT_NEAR = "not-near"  # subject received is not near now (expected)
    NOT_JSON = "not-json"  # the body is not a JSON object
    OFF_SHAPE = "off-shape"  # the output does not match its shape: detail
    ERROR_AS_SUCCESS = "error-as-success"  # 200 naming __type received
    NO_TYPE = "no-type"  # an error body without __type
    UNKNOWN_ERROR = "unknown-error"  # __type received is not an error of expected
    NO_MESSAGE = "no-message"  # an error body without a message string
    RECORDS = "records"  # the target's records disagree with the model: detail
    TEXT = "text"  # detail, as a trace file keeps it
    FORBIDDEN = "forbidden"  # error received, which the rule never allows here: detail


@dataclass(frozen=True)
class Forbidden:
    """An error ``rule`` never allows as the answer to a request, whatever else may be answered
    (an answer naming one of ``codes`` breaks the rule; any other answer is evidence it holds).
    ``detail``: what the rule holds instead."""

    rule: RuleId
    codes: frozenset[str]
    detail: str


@dataclass(frozen=True)
class Mismatch:
    """One way an answer breaks ``rule``: typed fields, worded only by the reporting layer.
    ``expected`` and ``received`` are values as shown (``repr`` of a string, say); ``record``:
    the batch record the answer concerns; ``records``: the records a problem names."""

    rule: RuleId
    problem: Problem
    expected: str | None = None
    received: str | None = None
    subject: str | None = None
    records: tuple[int, ...] = ()
    record: int | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Judgement:
    conforms: bool
    indeterminate: bool
    decided: frozenset[RuleId]
    blamed: frozenset[RuleId]
    expected: str
    received: str
    mismatches: tuple[Mismatch, ...] = ()


@dataclass(frozen=True, eq=False)
class Allowed:
    """The outcomes the model allows for one request, and what it needs to take the next step."""

    request: Request
    context: CallContext
    now: datetime
    alternatives: tuple[Alternative, ...]
    used_ids: frozenset[str]
    plan: Plan | None = field(default=None, repr=False)
    """What the request would change, for ``Model.step`` (None: a raw request, nothing)."""
    extra_rules: frozenset[RuleId] = frozenset()
    forbidden: tuple[Forbidden, ...] = ()

    @property
    def decided(self) -> frozenset[RuleId]:
        """Every rule that decides some part of the answer to this request."""
        rules: set[RuleId] = set(self.extra_rules) | {f.rule for f in self.forbidden}
        for alt in self.alternatives:
            if _unseen(alt):
                continue  # allowed for a record nobody here saw: no rule's question
            rules.add(alt.rule)
            if isinstance(alt, ProcessBatch):
                rules.update(o.rule for r in alt.records for o in r.options if not o.unsure)
            if isinstance(alt, Register) and alt.nonce is not None:
                rules.add("RU-NONCE")
            if isinstance(alt, Resolve) and alt.agreements:
                rules.add("RC-AGREEMENT")
        return frozenset(rules)

    def describe(self) -> str:
        return "\n or ".join(alt.describe() for alt in self.alternatives)

    def judge(self, outcome: Outcome) -> Judgement:
        received = describe_outcome(outcome)
        if is_indeterminate(outcome):
            return Judgement(True, True, self.decided, frozenset(), self.describe(), received)
        if isinstance(outcome, ServiceError):
            # a forbidden error breaks its rule even where an alternative allows any 4xx
            broken = tuple(
                Mismatch(f.rule, Problem.FORBIDDEN, received=outcome.code, detail=f.detail)
                for f in self.forbidden
                if outcome.code in f.codes
            )
            if broken:
                blamed = frozenset(m.rule for m in broken)
                return Judgement(False, False, self.decided, blamed, self.describe(), received, broken)
        found: list[Mismatch] = []
        unseen = False  # only a record nobody here saw explains the answer: it decides nothing
        for alt in self.alternatives:
            mismatches = _mismatches(alt, outcome, self.used_ids)
            if not mismatches and _unseen(alt):
                unseen = True
            elif not mismatches:
                return Judgement(True, False, self.decided, frozenset(), self.describe(), received)
            found.extend(mismatches)
        if unseen:
            return Judgement(True, False, frozenset(), frozenset(), self.describe(), received)
        blamed = frozenset(m.rule for m in found)
        # A crash (a 5xx no rule allows) answers none of the questions the request asked: only
        # the rules it contradicts count as decided, so a rule is never passed on a crash.
        crashed = isinstance(outcome, ServiceError) and outcome.status >= 500
        decided = blamed if crashed else self.decided
        return Judgement(False, False, decided, blamed, self.describe(), received, tuple(found))


def _unseen(alt: Alternative) -> bool:
    """Allowed only for a record the harness cannot see (``unsure``)."""
    return isinstance(alt, Accept | Reject) and alt.unsure


def describe_outcome(outcome: Outcome) -> str:
    if isinstance(outcome, ServiceError):
        # a message that only repeats the code (or starts with it) adds nothing to it
        message = (outcome.message or "").strip()
        if message == outcome.code or message.startswith(f"{outcome.code}:"):
            message = message.removeprefix(outcome.code).removeprefix(":").strip()
        return f"{outcome.status} {outcome.code}" + (f": {message}" if message else "")
    if isinstance(outcome, MeterUsageResult):
        return f"200 with MeteringRecordId {outcome.metering_record_id!r}"
    if isinstance(outcome, BatchMeterUsageResult):
        lines = [f"200 with {len(outcome.results)} results, {len(outcome.unprocessed)} unprocessed"]
        for i, res in enumerate(outcome.results):
            rid = f" {res.metering_record_id!r}" if res.metering_record_id else ""
            lines.append(f"  [{i}] {res.status}{rid}")
        return "\n".join(lines)
    if isinstance(outcome, ResolveCustomerResult):
        return (
            f"200 with CustomerIdentifier {outcome.customer_identifier!r}, ProductCode "
            f"{outcome.product_code!r}, CustomerAWSAccountId {outcome.customer_aws_account_id!r}"
            + (f", LicenseArn {outcome.license_arn!r}" if outcome.license_arn else "")
            + (f", AgreementId {outcome.agreement_id!r}" if outcome.agreement_id else "")
        )
    if isinstance(outcome, RegisterUsageResult):
        sig = outcome.signature or ""
        return f"200 with Signature {sig[:24] + '…' if len(sig) > 24 else sig!r}"
    return f"no answer ({outcome.reason})"


def _mismatches(alt: Alternative, outcome: Outcome, used_ids: frozenset[str]) -> list[Mismatch]:
    if isinstance(alt, Reject):
        ok = (
            isinstance(outcome, ServiceError)
            and 400 <= outcome.status < 500
            and (alt.codes is None or outcome.code in alt.codes)
        )
        return [] if ok else [_unexpected(alt)]
    if isinstance(alt, Accept):
        return _accept_mismatches(alt, outcome, used_ids)
    if isinstance(alt, ProcessBatch):
        return _batch_mismatches(alt, outcome, used_ids)
    if isinstance(alt, Resolve):
        return _resolve_mismatches(alt, outcome)
    return _register_mismatches(alt, outcome)


def _unexpected(alt: Alternative) -> Mismatch:
    """The answer is not of the kind ``alt`` allows at all."""
    return Mismatch(alt.rule, Problem.EXPECTED, expected=alt.describe())


def _id_problem(
    rule: RuleId, spec: IdSpec, record_id: str | None, used_ids: frozenset[str]
) -> Mismatch | None:
    if not record_id:
        return Mismatch(rule, Problem.NO_ID)
    if spec.bound is not None and record_id != spec.bound:
        return Mismatch(rule, Problem.NOT_BOUND, expected=repr(spec.bound), received=repr(record_id))
    if spec.fresh and record_id in used_ids:
        return Mismatch(rule, Problem.ID_TAKEN, received=repr(record_id))
    return None


def _accept_mismatches(alt: Accept, outcome: Outcome, used_ids: frozenset[str]) -> list[Mismatch]:
    if not isinstance(outcome, MeterUsageResult):
        return [_unexpected(alt)]
    if not alt.records:
        return []
    problem = _id_problem(alt.rule, alt.record_id, outcome.metering_record_id, used_ids)
    return [problem] if problem else []


def match_records(
    records: Sequence[UsageRecord], outcome: BatchMeterUsageResult, rule: RuleId = "BMU-PARTITION"
) -> tuple[list[RecordResult | UsageRecord | None], list[Mismatch]]:
    """Pair each input record with its result (or its UnprocessedRecords entry).

    Pairs by echoed record, as many as can be paired (records alike but for how their
    quantity is spelled take the echoes that fit them), in order otherwise; where echoes differ
    but the counts agree, falls back to position. Returns the pairing (None: the record is
    missing) and the partition problems, blamed on ``rule``.
    """
    problems: list[Mismatch] = []
    pool: list[RecordResult | UsageRecord] = [*outcome.results, *outcome.unprocessed]
    echoes = [item.record if isinstance(item, RecordResult) else item for item in pool]
    # an echo that drops a decimal's spelling still pairs (QTY-DECIMAL names it), after the
    # echoes that keep it
    fits = [
        sorted(
            (j for j, e in enumerate(echoes) if e is not None and e.same_echo(r)),
            key=lambda j, r=r: (not r.same_echo(echoes[j]), j),  # type: ignore[misc]
        )
        for r in records
    ]
    owner: dict[int, int] = {}  # pool index -> record index

    def place(i: int, seen: set[int]) -> bool:
        # Kuhn's augmenting path: records alike but for the quantity's spelling (an omitted
        # quantity beside "0.000000") must not take each other's echoes, whatever their order
        for j in fits[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(records)):
        place(i, set())
    by_record = {i: j for j, i in owner.items()}
    paired: list[RecordResult | UsageRecord | None] = [
        pool[by_record[i]] if i in by_record else None for i in range(len(records))
    ]
    if len(pool) != len(records):
        returned = f"{len(outcome.results)} results and {len(outcome.unprocessed)} unprocessed"
        problems.append(Mismatch(rule, Problem.COUNT, expected=str(len(records)), received=returned))
    if any(p is None for p in paired):
        missing = [i for i, p in enumerate(paired) if p is None]
        problems.append(Mismatch(rule, Problem.NOT_ECHOED, records=tuple(missing)))
        if len(pool) == len(records):
            paired = list(pool)
    return paired, problems


def _batch_mismatches(alt: ProcessBatch, outcome: Outcome, used_ids: frozenset[str]) -> list[Mismatch]:
    if not isinstance(outcome, BatchMeterUsageResult):
        # A 4xx says some record is refused, against every record rule that says it is not; a
        # 5xx says nothing about the records: it fails to give the answer BMU-PARTITION requires.
        failed = isinstance(outcome, ServiceError) and outcome.status >= 500
        record_rules = {o.rule for r in alt.records for o in r.options}
        rules = sorted({alt.rule} if failed or not record_rules else record_rules)
        return [replace(_unexpected(alt), rule=rule) for rule in rules]
    paired, problems = match_records([r.record for r in alt.records], outcome, alt.rule)
    found = list(problems)
    for i, expectation in enumerate(alt.records):
        sent = expectation.record.quantity_decimal
        echo = paired[i]
        echoed = echo.record if isinstance(echo, RecordResult) else echo
        if sent is not None and echoed is not None and echoed.quantity_decimal != sent:
            # QTY-DECIMAL: a decimal quantity is echoed as sent
            found.append(
                Mismatch(
                    "QTY-DECIMAL",
                    Problem.ECHO_CHANGED,
                    expected=repr(sent),
                    received=repr(echoed.quantity_decimal),
                    subject="QuantityAsDecimal",
                    record=i,
                )
            )
    owners: dict[str, tuple[int, object]] = {}
    for i, (expectation, result) in enumerate(zip(alt.records, paired, strict=True)):
        if not isinstance(result, RecordResult):
            continue  # unprocessed (indeterminate) or missing (already a partition problem)
        problem = _record_problem(expectation, result, used_ids)
        if problem is not None:
            found.append(replace(problem, record=i))
        if result.status == "Success" and result.metering_record_id:
            key = expectation.key if expectation.key is not None else ("record", i)
            owner, owner_key = owners.setdefault(result.metering_record_id, (i, key))
            if owner_key != key:
                found.append(
                    Mismatch(
                        expectation.options[0].rule,
                        Problem.ID_SHARED,
                        received=repr(result.metering_record_id),
                        records=(i, owner),
                    )
                )
    for group in alt.groups:
        found.extend(_group_problems(alt, group, paired))
    return found


def _record_problem(
    expectation: RecordExpectation, result: RecordResult, used_ids: frozenset[str]
) -> Mismatch | None:
    problems = []
    for option in expectation.options:
        if result.status != option.status:
            continue
        if option.status != "Success":
            return None
        problem = _id_problem(option.rule, option.record_id, result.metering_record_id, used_ids)
        if problem is None:
            return None
        problems.append(problem)
    if problems:
        return problems[0]
    wanted = " or ".join(o.describe() for o in expectation.options)
    return Mismatch(expectation.options[0].rule, Problem.STATUS, expected=wanted, received=result.status)


def _group_problems(
    alt: ProcessBatch, group: Group, paired: list[RecordResult | UsageRecord | None]
) -> list[Mismatch]:
    indices = group.indices
    results = [(i, paired[i]) for i in indices]
    if any(not isinstance(r, RecordResult) for _, r in results):
        return []  # an unprocessed member leaves the group open
    conflicting = len({alt.records[i].record.value() for i in indices}) > 1
    rule: RuleId = "BMU-IN-BATCH-DUPLICATE" if conflicting else "BMU-IDEMPOTENT"
    honoured = {
        alt.records[i].record.value()
        for i, r in results
        if isinstance(r, RecordResult) and r.status == "Success"
    }
    ids = {r.metering_record_id for _, r in results if isinstance(r, RecordResult) and r.status == "Success"}
    wanted = "exactly one" if group.exactly_one else "at most one"
    if len(honoured) > 1 or (group.exactly_one and not honoured):
        return [
            Mismatch(
                rule, Problem.GROUP_HONOURED, expected=wanted, received=str(len(honoured)), records=indices
            )
        ]
    if not honoured:
        return []
    quantity = honoured.pop()
    for i, r in results:
        same = alt.records[i].record.value() == quantity
        if isinstance(r, RecordResult) and same and r.status != "Success":
            return [Mismatch(rule, Problem.GROUP_STATUS, received=r.status, records=(i,))]
    if len(ids) > 1:
        return [Mismatch(rule, Problem.GROUP_IDS, records=indices)]
    return []


def _resolve_mismatches(alt: Resolve, outcome: Outcome) -> list[Mismatch]:
    if not isinstance(outcome, ResolveCustomerResult):
        return [_unexpected(alt)]
    found: list[Mismatch] = []
    if not alt.identifier_hidden:
        _compare(found, alt.rule, "CustomerIdentifier", alt.customer_identifier, outcome.customer_identifier)
    _compare(found, alt.rule, "ProductCode", alt.product_code, outcome.product_code)
    if alt.customer_aws_account_id is not None:
        account = outcome.customer_aws_account_id
        _compare(found, alt.rule, "CustomerAWSAccountId", alt.customer_aws_account_id, account)
    if alt.license_arn is not None:
        _compare(found, alt.rule, "LicenseArn", alt.license_arn, outcome.license_arn)
    if alt.identifier_hidden and outcome.customer_identifier:
        found.append(
            Mismatch(
                "RC-AGREEMENT",
                Problem.POPULATED,
                received=repr(outcome.customer_identifier),
                subject="CustomerIdentifier",
            )
        )
    if alt.agreements and outcome.agreement_id is not None and outcome.agreement_id != alt.agreement_id:
        expected = repr(alt.agreement_id) if alt.agreement_id else "none (the customer has no agreement id)"
        found.append(
            Mismatch(
                "RC-AGREEMENT",
                Problem.VALUE,
                expected=expected,
                received=repr(outcome.agreement_id),
                subject="AgreementId",
            )
        )
    return found


def _compare(found: list[Mismatch], rule: RuleId, name: str, expected: Any, received: Any) -> None:
    if expected != received:
        found.append(
            Mismatch(rule, Problem.VALUE, expected=repr(expected), received=repr(received), subject=name)
        )


def _register_mismatches(alt: Register, outcome: Outcome) -> list[Mismatch]:
    if not isinstance(outcome, RegisterUsageResult):
        return [_unexpected(alt)]
    try:
        header, claims = jwt.decode_unverified(outcome.signature or "")
    except jwt.MalformedToken as exc:
        return [Mismatch("RU-SIGNATURE", Problem.NOT_JWT, detail=str(exc))]
    found: list[Mismatch] = []
    _compare(found, "RU-SIGNATURE", "JWT alg", "PS256", header.get("alg"))
    for name, expected in (("productCode", alt.product_code), ("publicKeyVersion", alt.public_key_version)):
        _compare(found, "RU-SIGNATURE", f"claim {name}", expected, jwt.claim(claims, name))
    iat = jwt.claim(claims, "iat")
    if not isinstance(iat, int | float) or abs(iat - alt.now.timestamp()) > alt.tolerance.total_seconds():
        found.append(
            Mismatch(
                "RU-SIGNATURE",
                Problem.NOT_NEAR,
                expected=alt.now.isoformat(),
                received=repr(iat),
                subject="claim iat",
            )
        )
    if alt.nonce is not None:
        _compare(found, "RU-NONCE", "claim nonce", alt.nonce, jwt.claim(claims, "nonce"))
    return found


def unique(alternatives: Iterable[Alternative]) -> tuple[Alternative, ...]:
    """Alternatives without repeats, first occurrence kept."""
    return tuple(dict.fromkeys(alternatives))
