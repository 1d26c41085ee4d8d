"""The rule catalogue: one entry per rule ID, with its sources and confidence.

Rule IDs are a public interface (reports, traces, test names and CLI filters use them). The
model branch that decides a rule names the same ID, so ``grep BMU-WINDOW`` finds the entry here,
the branch in :mod:`conformance.models.model`, its tests and its lines in reports.

Confidence: D documented, O observed by users, I inferred, C sources conflict, U unspecified.
A *lenient* rule allows several outcomes (the sources are silent or disagree).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from .requests import OPERATION_NAMES
from .rule_ids import RuleId

__all__ = [
    "ALL_OPERATIONS",
    "ANY_CLIENT_ERROR",
    "CLIENT_RULES",
    "OPERATION_OF_KIND",
    "RULES",
    "RULES_BY_ID",
    "Kind",
    "Need",
    "Rule",
    "Source",
    "errors_of",
    "is_wire",
    "rules_for",
]

ANY_CLIENT_ERROR = "*"
"""In a rule's ``errors``: any 4xx error (the sources name no code)."""

SOURCE_NAMES = {
    "SDK-V1": "Go SDK v1 package documentation `marketplacemetering`, published 2025-01-17",
    "BOTOCORE": (
        "botocore service model meteringmarketplace/2016-01-14/service-2.json, the snapshot "
        "pinned by the profile (botocore 1.36.3 for 2025-01, 1.44.8 for 2026-11)"
    ),
    "API-REF": "AWS Marketplace Metering API Reference, operation pages (2026 text)",
    "SELLER-GUIDE": "AWS Marketplace Seller Guide: SaaS, container and custom metering pages",
    "AWS-JSON": "Smithy awsJson1_1 protocol description",
    "CONTROL": "metering-conformance control protocol v1.1 (docs in the README)",
    "BOTOCORE-RETRY": (
        "botocore retries/standard.py, ExponentialBackoff: the delay of its standard and adaptive "
        "retry modes (botocore 1.44.8)"
    ),
    "SELLERS": (
        "seller code read in 2026: the aws-samples serverless SaaS integration (metering-sqs.js) "
        "and the metered-container sample"
    ),
}

BOTH = frozenset({"2025-01", "2026-11"})
NEW = frozenset({"2026-11"})


@dataclass(frozen=True)
class Source:
    name: str
    quote: str


class Kind(StrEnum):
    """What a rule judges: the wire format of any answer, a family of record checks shared by
    both metering operations, one operation's rules, or a property across operations."""

    WIRE = "wire"
    ALLOCATION = "allocation"
    QUANTITY = "quantity"
    METER = "meter"
    BATCH = "batch"
    RESOLVE = "resolve"
    REGISTER = "register"
    RETRY = "retry"
    CONCURRENCY = "concurrency"
    CLIENT = "client"
    """A rule of a seller's code (``conformance client``), judged from what it sent."""


ALL_OPERATIONS = OPERATION_NAMES

OPERATION_OF_KIND: dict[Kind, str] = {
    Kind.METER: "MeterUsage",
    Kind.BATCH: "BatchMeterUsage",
    Kind.ALLOCATION: "BatchMeterUsage",
    Kind.QUANTITY: "BatchMeterUsage",
    Kind.RESOLVE: "ResolveCustomer",
    Kind.REGISTER: "RegisterUsage",
}
"""The operation that exercises a rule of each kind, and that must succeed before anything the
rule decides can be built (a record check shared by both metering operations: the batch)."""


class Need(StrEnum):
    """Something a rule needs of the world (or of the target) before any request can decide
    it; :func:`conformance.models.needs.lacking` says whether a world meets it, and how a
    fixtures file gives it."""

    ANY_CALLER = "any-caller"
    ENTITLED_CALLER = "entitled-caller"
    REFUSED_CALLER = "refused-caller"
    TWO_CALLERS = "two-callers"
    CALLER_ELSEWHERE = "caller-elsewhere"
    REGISTERING_CALLER = "registering-caller"
    REGISTERING_CALLER_ELSEWHERE = "registering-caller-elsewhere"
    UNENTITLED_REGISTERING_CALLER = "unentitled-registering-caller"
    UNSUPPORTED_PLATFORM = "unsupported-platform"
    AGENTCORE_CALLER = "agentcore-caller"
    ANY_CUSTOMER = "any-customer"
    SUBSCRIBED_CUSTOMER = "subscribed-customer"
    UNSUBSCRIBED_CUSTOMER = "unsubscribed-customer"
    TWO_CUSTOMERS = "two-customers"
    CUSTOMER_OF_TWO_PRODUCTS = "customer-of-two-products"
    CONCURRENT_PRODUCT = "concurrent-product"
    VALID_TOKEN = "valid-token"
    METERABLE_TOKEN = "meterable-token"
    EXPIRED_TOKEN = "expired-token"
    FIXTURE_CHANGES = "fixture-changes"
    PUBLIC_KEY = "public-key"
    INJECTED_FAULTS = "injected-faults"
    """Faults injected between the harness and the target: a rule decided only by the answers
    to requests a fault left undecided (its campaign injects them at a rate of its own)."""


@dataclass(frozen=True)
class Rule:
    id: RuleId
    operation: str
    """The operations it judges, comma-separated (``*``: every one), as ``rules --format json``
    shows them; :attr:`operations` as a tuple."""
    statement: str
    sources: tuple[Source, ...]
    confidence: str
    kind: Kind
    lenient: bool = False
    profiles: frozenset[str] = BOTH
    errors: tuple[str, ...] = ()
    """The error codes the rule refuses with (``*``: any 4xx error); empty for a rule that
    decides successes or statuses only."""
    needs: tuple[Need, ...] = ()
    """What every request deciding the rule needs of the world or target (all of them)."""
    about_records: bool = False
    """Part of the rule is what the target records (nothing, or nothing new, or one record).
    On a target that lists its records the records oracle checks that after every step;
    elsewhere only a later answer on the same key shows it."""

    @property
    def operations(self) -> tuple[str, ...]:
        return ALL_OPERATIONS if self.operation == "*" else tuple(self.operation.split(","))

    @property
    def codes(self) -> frozenset[str] | None:
        """What a refusal under this rule may answer: its named codes, or None (any 4xx) where
        it names none or allows any."""
        if not self.errors or ANY_CLIENT_ERROR in self.errors:
            return None
        return frozenset(self.errors)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "operation": self.operation,
            "statement": self.statement,
            "sources": [{"name": s.name, "quote": s.quote} for s in self.sources],
            "confidence": self.confidence,
            "lenient": self.lenient,
            "profiles": sorted(self.profiles),
            "errors": list(self.errors),
            "needs": [str(n) for n in self.needs],
            "aboutRecords": self.about_records,
        }


def _r(
    rule_id: RuleId,
    operation: str,
    statement: str,
    confidence: str,
    *sources: tuple[str, str],
    kind: Kind,
    lenient: bool = False,
    profiles: frozenset[str] = BOTH,
    errors: tuple[str, ...] = (),
    needs: tuple[Need, ...] = (),
    about_records: bool = False,
) -> Rule:
    return Rule(
        rule_id,
        operation,
        statement,
        tuple(Source(name, quote) for name, quote in sources),
        confidence,
        kind,
        lenient,
        profiles,
        errors,
        needs,
        about_records,
    )


_SDK_WINDOW = ("SDK-V1", "Usage records ... are not accepted more than 6 hours after the event.")
_SDK_ALLOC = ("SDK-V1", "The sum of all UsageAllocation quantities must equal the UsageQuantity")
_SDK_TOOB = (
    "SDK-V1",
    "TimestampOutOfBoundsException: For BatchMeterUsage, if any of the records are outside of "
    "the allowed range, the entire batch is not processed.",
)
_SDK_PRODUCT = (
    "SDK-V1",
    "InvalidProductCodeException: The product code passed does not match the product code used "
    "for publishing the product.",
)
_SDK_DIMENSION = (
    "SDK-V1",
    "InvalidUsageDimensionException: The usage dimension does not match one of the "
    "UsageDimensions associated with products.",
)
_SDK_NOT_SUBSCRIBED = (
    "SDK-V1",
    "CustomerNotSubscribed- The CustomerIdentifier specified is not able to use your product. "
    "The UsageRecord was not honored.",
)
_SDK_ENTITLED = (
    "SDK-V1",
    "CustomerNotEntitledException: Exception thrown when the customer does not have a valid "
    "subscription for the product.",
)
_SDK_FIRST_CALL = (
    "SDK-V1",
    "a CustomerNotSubscribedException or PlatformNotSupportedException will only be thrown on "
    "the initial call to RegisterUsage.",
)

_ALLOCATIONS = ("InvalidUsageAllocationsException",)
_TAG = ("InvalidTagException",)
_OUT_OF_BOUNDS = ("TimestampOutOfBoundsException",)
_PRODUCT = ("InvalidProductCodeException",)
_DIMENSION = ("InvalidUsageDimensionException",)
_NOT_ENTITLED = ("CustomerNotEntitledException",)
_ANY = (ANY_CLIENT_ERROR,)

RULES: tuple[Rule, ...] = (
    # Wire format (all operations) ------------------------------------------------------------
    _r(
        "WIRE-JSON",
        "*",
        "Every response has Content-Type application/x-amz-json-1.1 (or 1.0) and a JSON object "
        "body; a success body validates against the JSON Schema of the operation's output shape.",
        "D",
        ("AWS-JSON", "Responses are JSON documents; Content-Type application/x-amz-json-1.1."),
        ("BOTOCORE", "output shapes of the four operations"),
        kind=Kind.WIRE,
    ),
    _r(
        "WIRE-ERROR-SHAPE",
        "*",
        "An error body carries __type naming an error modelled for the operation (or a generic "
        "protocol error) and a message string.",
        "D",
        ("AWS-JSON", "The error type is given by the __type member of the body."),
        ("BOTOCORE", "operations.*.errors"),
        kind=Kind.WIRE,
    ),
    _r(
        "WIRE-STATUS",
        "*",
        "Success is HTTP 200; modelled client errors are 4xx; InternalServiceErrorException is 5xx.",
        "D (409 vs 400 for IdempotencyConflictException: C)",
        ("API-REF", "HTTP Status Code: 400 for each client error, 500 for InternalServiceErrorException"),
        ("BOTOCORE", "InternalServiceErrorException is marked fault: true"),
        lenient=True,
        kind=Kind.WIRE,
    ),
    _r(
        "WIRE-UNKNOWN-OP",
        "*",
        "An unknown X-Amz-Target operation gets a 4xx error, never a 5xx or a dropped connection.",
        "I",
        ("AWS-JSON", "UnknownOperationException for a target the service does not have"),
        kind=Kind.WIRE,
        errors=_ANY,
    ),
    _r(
        "WIRE-MALFORMED",
        "*",
        "A body that is not valid JSON gets a 4xx error (SerializationException) and changes nothing.",
        "I",
        ("AWS-JSON", "SerializationException for a body that cannot be deserialized"),
        kind=Kind.WIRE,
        errors=_ANY,
        about_records=True,
    ),
    _r(
        "WIRE-VALIDATION",
        "*",
        "A request that breaks a shape constraint (missing required member, string too long or "
        "not matching its pattern, quantity out of range, PublicKeyVersion < 1) is rejected with "
        "a 4xx error and changes nothing. A member of the wrong type is refused the same way "
        "(SerializationException from the emulator). Readings where no source decides, both "
        "allowed: a member the shape lacks, and a body of 1 MB or more to an operation other "
        "than BatchMeterUsage, may be refused with a 4xx or ignored; the emulator refuses.",
        "D/U (code unspecified)",
        ("BOTOCORE", "required, min, max and pattern of every input shape"),
        kind=Kind.WIRE,
        errors=_ANY,
        about_records=True,
    ),
    # Allocations ---------------------------------------------------------------------------------
    _r(
        "ALLOC-SUM",
        "MeterUsage,BatchMeterUsage",
        "The AllocatedUsageQuantity values must add up to the record's quantity, else "
        "InvalidUsageAllocationsException.",
        "D",
        _SDK_ALLOC,
        (
            "BOTOCORE",
            "UsageRecord.UsageAllocations: The sum of all UsageAllocation quantities "
            "must equal the Quantity of the UsageRecord.",
        ),
        kind=Kind.ALLOCATION,
        errors=_ALLOCATIONS,
    ),
    _r(
        "ALLOC-UNIQUE-TAGS",
        "MeterUsage,BatchMeterUsage",
        "Each allocation in a record has a distinct tag set (at most one without tags), else "
        "InvalidUsageAllocationsException.",
        "D",
        ("SDK-V1", "each UsageAllocation must have a unique set of tags (include no tags)."),
        ("BOTOCORE", "MeterUsageRequest.UsageAllocations documentation"),
        kind=Kind.ALLOCATION,
        errors=_ALLOCATIONS,
    ),
    _r(
        "ALLOC-TAG-LIMIT",
        "MeterUsage,BatchMeterUsage",
        "At most 5 tags per allocation, else InvalidTagException.",
        "D",
        ("SDK-V1", "InvalidTagException: The tag is invalid, or the number of tags is greater than 5."),
        ("BOTOCORE", "TagList max"),
        kind=Kind.ALLOCATION,
        errors=_TAG,
    ),
    _r(
        "ALLOC-TAG-FORMAT",
        "MeterUsage,BatchMeterUsage",
        "Tag keys and values have the lengths and characters the sources give, else "
        "InvalidTagException; a character in one source's set but not the other's is lenient.",
        "C (the regex ' -=' range)",
        ("BOTOCORE", "TagKey / TagValue min, max and pattern ^[a-zA-Z0-9+ -=._:\\/@]+$"),
        ("SELLER-GUIDE", "Allowed characters: a-zA-Z0-9+ -=._:\\/@ (a literal list)"),
        lenient=True,
        kind=Kind.ALLOCATION,
        errors=_TAG,
    ),
    _r(
        "ALLOC-COUNT-LIMIT",
        "MeterUsage,BatchMeterUsage",
        "At most the profile's allocation limit (500 in 2025-01, 2,500 in 2026-11) per record, "
        "else InvalidUsageAllocationsException.",
        "C",
        (
            "SDK-V1",
            "InvalidUsageAllocationsException: ... the number of allocations is greater "
            "than 500 for a single usage record.",
        ),
        ("BOTOCORE", "UsageAllocations max"),
        kind=Kind.ALLOCATION,
        errors=_ALLOCATIONS,
    ),
    _r(
        "ALLOC-QUANTITY-FORM",
        "MeterUsage,BatchMeterUsage",
        "Each allocation names exactly one of AllocatedUsageQuantity and "
        "AllocatedUsageQuantityAsDecimal, in the form of its request's or record's quantity "
        "(whole number with whole number, decimal with decimal), else "
        "InvalidUsageAllocationsException (ValidationException tolerated); nothing is recorded. "
        "ALLOC-SUM then holds in exact decimal arithmetic.",
        "D",
        (
            "BOTOCORE",
            "Each allocation must specify exactly one of AllocatedUsageQuantity or "
            "AllocatedUsageQuantityAsDecimal.",
        ),
        (
            "BOTOCORE",
            "InvalidUsageAllocationsException: ... or the allocations don't use the same type of "
            "quantity (whole number or decimal) as the usage quantity.",
        ),
        profiles=NEW,
        kind=Kind.ALLOCATION,
        errors=("InvalidUsageAllocationsException", "ValidationException"),
        about_records=True,
    ),
    # Quantities (2026-11) -------------------------------------------------------------------------
    _r(
        "QTY-DECIMAL",
        "MeterUsage,BatchMeterUsage",
        "A quantity may be sent as a decimal string (up to 10 integer digits and 6 decimals); a "
        "valid decimal quantity is accepted as the equal whole number would be, and a "
        "BatchMeterUsage Result echoes the string unchanged.",
        "D",
        (
            "BOTOCORE",
            "UsageQuantityAsDecimal: The consumption value for the hour, as a decimal string. Use "
            "this instead of UsageQuantity to report fractional usage.",
        ),
        ("BOTOCORE", "UsageQuantityAsDecimalString pattern ^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,6})?$"),
        profiles=NEW,
        kind=Kind.QUANTITY,
    ),
    _r(
        "QTY-ONE-FORM",
        "MeterUsage,BatchMeterUsage",
        "A MeterUsage naming both UsageQuantity and UsageQuantityAsDecimal, or a usage record "
        "naming both Quantity and QuantityAsDecimal, is refused with a 4xx error and records "
        "nothing (the whole batch).",
        "D (code U)",
        ("BOTOCORE", "You can't specify both UsageQuantity and UsageQuantityAsDecimal."),
        (
            "BOTOCORE",
            "QuantityAsDecimal: ... If any usage record fails these checks, the entire "
            "BatchMeterUsage request fails and no records are processed.",
        ),
        profiles=NEW,
        kind=Kind.QUANTITY,
        errors=_ANY,
        about_records=True,
    ),
    _r(
        "QTY-BY-VALUE",
        "MeterUsage,BatchMeterUsage",
        "Quantities are compared by value for idempotency and duplicates: 17, 17.0 and 17.00, as "
        "a whole number or a decimal, are one quantity (an identical request, not a duplicate).",
        "D",
        (
            "BOTOCORE",
            "Quantities are compared by value when checking for duplicate or retried requests, so "
            "17, 17.0, and 17.00 are the same quantity, whether you send it in UsageQuantity or "
            "UsageQuantityAsDecimal.",
        ),
        (
            "BOTOCORE",
            "DuplicateRequestException: ... a whole-number and a decimal quantity with the same "
            "value (for example, 17 and 17.00) are not different.",
        ),
        profiles=NEW,
        kind=Kind.QUANTITY,
    ),
    # MeterUsage ----------------------------------------------------------------------------------
    _r(
        "MU-ACCEPT",
        "MeterUsage",
        "A valid request from an entitled caller, for a known product and dimension, inside the "
        "window, returns 200 with a non-empty MeteringRecordId.",
        "D",
        ("SDK-V1", "MeterUsageOutput: MeteringRecordId - Metering record id."),
        kind=Kind.METER,
        needs=(Need.ENTITLED_CALLER,),
    ),
    _r(
        "MU-PRODUCT",
        "MeterUsage",
        "An unknown product code gets InvalidProductCodeException.",
        "D",
        _SDK_PRODUCT,
        kind=Kind.METER,
        errors=_PRODUCT,
        needs=(Need.ANY_CALLER,),
    ),
    _r(
        "MU-DIMENSION",
        "MeterUsage",
        "A dimension that is not one of the product's gets InvalidUsageDimensionException.",
        "D",
        _SDK_DIMENSION,
        kind=Kind.METER,
        errors=_DIMENSION,
        needs=(Need.ENTITLED_CALLER,),
    ),
    _r(
        "MU-WINDOW",
        "MeterUsage",
        "A timestamp older than the profile's window gets TimestampOutOfBoundsException; one "
        "inside it is accepted.",
        "D/C",
        _SDK_WINDOW,
        (
            "SDK-V1",
            "MeterUsageInput.Timestamp: Your application can meter usage for up to one "
            "hour in the past. (conflicts with the 6 hours of the operation text)",
        ),
        ("API-REF", "records with a timestamp 6 hours or more in the past are refused"),
        kind=Kind.METER,
        errors=_OUT_OF_BOUNDS,
        needs=(Need.ENTITLED_CALLER,),
    ),
    _r(
        "MU-FUTURE",
        "MeterUsage",
        "A timestamp later than the service's now: accepted or TimestampOutOfBoundsException.",
        "U",
        ("SDK-V1", "silent: no statement on a timestamp later than the service's now (none documents it)"),
        lenient=True,
        kind=Kind.METER,
        errors=_OUT_OF_BOUNDS,
        needs=(Need.ENTITLED_CALLER,),
    ),
    _r(
        "MU-IDEMPOTENT",
        "MeterUsage",
        "An identical request (same caller, product, dimension, hour, quantity and allocations) "
        "returns the same MeteringRecordId and records nothing new.",
        "D",
        (
            "SDK-V1",
            "For identical requests, the API is idempotent. It simply returns the metering record ID.",
        ),
        ("API-REF", "MeterUsage is idempotent for identical requests"),
        kind=Kind.METER,
        errors=("DuplicateRequestException",),
        needs=(Need.ENTITLED_CALLER,),
        about_records=True,
    ),
    _r(
        "MU-HOUR-DUPLICATE",
        "MeterUsage",
        "Same caller, product, dimension and hour with a different quantity gets "
        "DuplicateRequestException; the first record stands.",
        "D",
        (
            "SDK-V1",
            "DuplicateRequestException: A metering record has already been emitted by the "
            "same EC2 instance, ECS task, or EKS pod for the given {usageDimension, timestamp} with "
            "a different usageQuantity.",
        ),
        ("SELLER-GUIDE", "duplicate detection uses the timestamp rounded down to the hour"),
        kind=Kind.METER,
        errors=("DuplicateRequestException",),
        needs=(Need.ENTITLED_CALLER,),
        about_records=True,
    ),
    _r(
        "MU-CALLER-ISOLATION",
        "MeterUsage",
        "Different callers meter the same dimension and hour independently.",
        "D",
        ("SDK-V1", "emitted by the same EC2 instance, ECS task, or EKS pod"),
        kind=Kind.METER,
        needs=(Need.TWO_CALLERS,),
    ),
    _r(
        "MU-QUANTITY-DEFAULT",
        "MeterUsage",
        "An omitted UsageQuantity means 0 (an explicit 0 is then an identical request).",
        "D",
        ("SDK-V1", "UsageQuantity: Consumption value for the hour. Defaults to 0 if not specified."),
        kind=Kind.METER,
        needs=(Need.ENTITLED_CALLER,),
    ),
    _r(
        "MU-DRYRUN",
        "MeterUsage",
        "DryRun=true never records usage; the answer is a DryRunOperation error or a 200 that "
        "recorded nothing.",
        "C",
        (
            "BOTOCORE",
            "DryRun: Checks whether you have the permissions required for the action, "
            "but does not make the request.",
        ),
        lenient=True,
        kind=Kind.METER,
        errors=("DryRunOperation",),
        needs=(Need.ENTITLED_CALLER,),
        about_records=True,
    ),
    _r(
        "MU-ENTITLEMENT",
        "MeterUsage",
        "A caller whose customer is not entitled gets CustomerNotEntitledException.",
        "D",
        _SDK_ENTITLED,
        (
            "CONTROL",
            "a request from a declared caller for another, known product gets CustomerNotEntitledException",
        ),
        kind=Kind.METER,
        errors=_NOT_ENTITLED,
        needs=(Need.REFUSED_CALLER,),
    ),
    _r(
        "MU-REGION",
        "MeterUsage",
        "A caller that calls an endpoint in another Region than its own gets InvalidEndpointRegionException.",
        "D",
        (
            "SDK-V1",
            "InvalidEndpointRegionException: The endpoint being called is in a AWS Region "
            "different from your EC2 instance, ECS task, or EKS pod.",
        ),
        kind=Kind.METER,
        errors=("InvalidEndpointRegionException",),
        needs=(Need.CALLER_ELSEWHERE,),
    ),
    _r(
        "MU-CLIENT-TOKEN",
        "MeterUsage",
        "The same ClientToken with different parameters gets IdempotencyConflictException; with "
        "the same parameters, the same MeteringRecordId.",
        "D",
        ("BOTOCORE", "MeterUsageRequest.ClientToken idempotencyToken; IdempotencyConflictException"),
        ("API-REF", "ClientToken: a unique, case-sensitive identifier for idempotency"),
        profiles=NEW,
        kind=Kind.METER,
        errors=("IdempotencyConflictException",),
        needs=(Need.ENTITLED_CALLER,),
    ),
    _r(
        "MU-AGENTCORE",
        "MeterUsage",
        "A caller on the agentcore platform (Amazon Bedrock AgentCore Runtime) may meter one "
        "dimension many times an hour: its Timestamp is neither rounded nor used for duplicate "
        "detection, each new ClientToken is a new record, the same ClientToken with the same "
        "parameters returns the same MeteringRecordId; without a ClientToken it gets a 4xx error.",
        "D (code U)",
        (
            "BOTOCORE",
            "For Amazon Bedrock AgentCore Runtime deployments, you can report usage multiple "
            "times per hour for the same dimension. ... You must include an idempotency token in "
            "the ClientToken request parameter.",
        ),
        (
            "BOTOCORE",
            "The Timestamp request parameter is not rounded down to the hour and is not used for "
            "duplicate validation. Requests with duplicate Timestamps are aggregated as long as "
            "the ClientToken is unique.",
        ),
        profiles=NEW,
        kind=Kind.METER,
        errors=_ANY,
        needs=(Need.AGENTCORE_CALLER,),
    ),
    # BatchMeterUsage -----------------------------------------------------------------------------
    _r(
        "BMU-ACCEPT",
        "BatchMeterUsage",
        "A valid record for a subscribed customer gets Status Success and a MeteringRecordId.",
        "D",
        ("SDK-V1", "Success- The UsageRecord was accepted and honored by BatchMeterUsage."),
        kind=Kind.BATCH,
        needs=(Need.SUBSCRIBED_CUSTOMER,),
    ),
    _r(
        "BMU-PARTITION",
        "BatchMeterUsage",
        "Every input record appears exactly once across Results and UnprocessedRecords, and each "
        "Result echoes its UsageRecord unchanged.",
        "D",
        (
            "SDK-V1",
            "BatchMeterUsage returns a list of UsageRecordResult objects, showing the "
            "result for each UsageRecord, as well as a list of UnprocessedRecords",
        ),
        kind=Kind.BATCH,
        needs=(Need.ANY_CUSTOMER,),
    ),
    _r(
        "BMU-SIZE-LIMIT",
        "BatchMeterUsage",
        "More than 25 records is rejected with a 4xx error and nothing is recorded.",
        "D (code U)",
        ("SDK-V1", "BatchMeterUsage can process up to 25 UsageRecords at a time."),
        ("BOTOCORE", "UsageRecordList max"),
        kind=Kind.BATCH,
        errors=_ANY,
        needs=(Need.ANY_CUSTOMER,),
        about_records=True,
    ),
    _r(
        "BMU-PAYLOAD-LIMIT",
        "BatchMeterUsage",
        "A request of 1 MB or more is rejected with a 4xx error and nothing is recorded "
        "(between 10^6 and 2^20 bytes a refusal is allowed too).",
        "D (code U)",
        ("SDK-V1", "BatchMeterUsage requests must be less than 1MB in size."),
        lenient=True,
        kind=Kind.BATCH,
        errors=_ANY,
        needs=(Need.ANY_CUSTOMER,),
        about_records=True,
    ),
    _r(
        "BMU-WINDOW",
        "BatchMeterUsage",
        "If any record is outside the profile's window, the whole batch gets TimestampOutOfBoundsException.",
        "D",
        _SDK_WINDOW,
        _SDK_TOOB,
        (
            "API-REF",
            "records up to 24 hours old; records of the previous month are not accepted "
            "after 06:00 UTC on the first day of the month (2026-11)",
        ),
        kind=Kind.BATCH,
        errors=_OUT_OF_BOUNDS,
        needs=(Need.ANY_CUSTOMER,),
    ),
    _r(
        "BMU-ATOMIC",
        "BatchMeterUsage",
        "A rejected batch records none of its records (a later record with the same key and "
        "another quantity is not a duplicate).",
        "D",
        _SDK_TOOB,
        kind=Kind.BATCH,
        needs=(Need.SUBSCRIBED_CUSTOMER,),
        about_records=True,
    ),
    _r(
        "BMU-FUTURE",
        "BatchMeterUsage",
        "A record timestamped later than now: accepted or TimestampOutOfBoundsException.",
        "U",
        ("SDK-V1", "silent: no statement on a timestamp later than the service's now (none documents it)"),
        lenient=True,
        kind=Kind.BATCH,
        errors=_OUT_OF_BOUNDS,
        needs=(Need.ANY_CUSTOMER,),
    ),
    _r(
        "BMU-PRODUCT",
        "BatchMeterUsage",
        "An unknown product code gets InvalidProductCodeException.",
        "D",
        _SDK_PRODUCT,
        kind=Kind.BATCH,
        errors=(*_PRODUCT, ANY_CLIENT_ERROR),  # any 4xx where no product is named at all
        needs=(Need.ANY_CUSTOMER,),
    ),
    _r(
        "BMU-DIMENSION",
        "BatchMeterUsage",
        "A record whose dimension is not one of the product's gets InvalidUsageDimensionException.",
        "D",
        _SDK_DIMENSION,
        kind=Kind.BATCH,
        errors=_DIMENSION,
        needs=(Need.ANY_CUSTOMER,),
    ),
    _r(
        "BMU-NOT-SUBSCRIBED",
        "BatchMeterUsage",
        "A record for a known customer without an active subscription gets Status "
        "CustomerNotSubscribed and is not recorded.",
        "D",
        _SDK_NOT_SUBSCRIBED,
        kind=Kind.BATCH,
        needs=(Need.UNSUBSCRIBED_CUSTOMER,),
        about_records=True,
    ),
    _r(
        "BMU-UNKNOWN-CUSTOMER",
        "BatchMeterUsage",
        "A customer identifier that does not exist gets Status CustomerNotSubscribed or "
        "InvalidCustomerIdentifierException.",
        "C",
        _SDK_NOT_SUBSCRIBED,
        (
            "SDK-V1",
            "InvalidCustomerIdentifierException: You have metered usage for a "
            "CustomerIdentifier that does not exist.",
        ),
        lenient=True,
        kind=Kind.BATCH,
        errors=("InvalidCustomerIdentifierException",),
        needs=(Need.ANY_CUSTOMER,),
    ),
    _r(
        "BMU-IDEMPOTENT",
        "BatchMeterUsage",
        "A record identical to one already recorded (same customer, dimension, hour, quantity) "
        "gets Success with the same MeteringRecordId, also when retried as part of a subset.",
        "D",
        (
            "SDK-V1",
            "For identical requests, the API is idempotent; requests can be retried with "
            "the same records or a subset of the input records.",
        ),
        kind=Kind.BATCH,
        needs=(Need.SUBSCRIBED_CUSTOMER,),
        about_records=True,
    ),
    _r(
        "BMU-DUPLICATE",
        "BatchMeterUsage",
        "Same customer, dimension and hour with a different quantity gets Status "
        "DuplicateRecord; the first record stands.",
        "D",
        (
            "SDK-V1",
            "DuplicateRecord- ... A previously metered UsageRecord had the same customer, "
            "dimension, and time, but a different quantity.",
        ),
        ("SELLER-GUIDE", "duplicate detection uses the timestamp rounded down to the hour"),
        kind=Kind.BATCH,
        needs=(Need.SUBSCRIBED_CUSTOMER,),
        about_records=True,
    ),
    _r(
        "BMU-IN-BATCH-DUPLICATE",
        "BatchMeterUsage",
        "Two conflicting records in one batch: exactly one is honoured, the other is "
        "DuplicateRecord (which one is lenient).",
        "U",
        ("SDK-V1", "silent: DuplicateRecord is defined against a previously metered record only"),
        lenient=True,
        kind=Kind.BATCH,
        needs=(Need.SUBSCRIBED_CUSTOMER,),
    ),
    _r(
        "BMU-CUSTOMER-ISOLATION",
        "BatchMeterUsage",
        "Records of different customers never conflict.",
        "D",
        ("SDK-V1", "A previously metered UsageRecord had the same customer, dimension, and time"),
        kind=Kind.BATCH,
        needs=(Need.TWO_CUSTOMERS,),
    ),
    _r(
        "BMU-PRODUCT-ISOLATION",
        "BatchMeterUsage",
        "Records for different products never conflict.",
        "D",
        ("SDK-V1", "Every request to BatchMeterUsage is for one product."),
        kind=Kind.BATCH,
        needs=(Need.CUSTOMER_OF_TWO_PRODUCTS,),
    ),
    _r(
        "BMU-EMPTY",
        "BatchMeterUsage",
        "An empty UsageRecords list gets 200 with empty Results, or a 4xx; it records nothing.",
        "U",
        ("BOTOCORE", "UsageRecordList min 0"),
        lenient=True,
        kind=Kind.BATCH,
        errors=_ANY,
        needs=(Need.ANY_CUSTOMER,),
        about_records=True,
    ),
    _r(
        "BMU-ACCOUNT-ID",
        "BatchMeterUsage",
        "A record may name the customer by CustomerAWSAccountId instead of CustomerIdentifier; "
        "naming both (or neither) is rejected with a 4xx error.",
        "D/U",
        ("BOTOCORE", "UsageRecord.CustomerAWSAccountId"),
        ("API-REF", "CustomerIdentifier and CustomerAWSAccountId are mutually exclusive"),
        profiles=NEW,
        kind=Kind.BATCH,
        errors=_ANY,
        needs=(Need.ANY_CUSTOMER,),
    ),
    _r(
        "BMU-LICENSE",
        "BatchMeterUsage",
        "A LicenseArn that does not match the customer gets InvalidLicenseException.",
        "D",
        ("BOTOCORE", "UsageRecord.LicenseArn; InvalidLicenseException"),
        profiles=NEW,
        kind=Kind.BATCH,
        errors=("InvalidLicenseException",),
        needs=(Need.ANY_CUSTOMER,),
    ),
    _r(
        "BMU-CONCURRENT-AGREEMENTS",
        "BatchMeterUsage",
        "For a product on concurrent agreements, a record naming the customer only by "
        "CustomerIdentifier is refused (the whole batch with a 4xx error, or the record with a "
        "status other than Success) and never recorded.",
        "D (answer U)",
        (
            "BOTOCORE",
            "Starting June 1, 2026, new SaaS products must use CustomerAWSAccountId (instead of "
            "CustomerIdentifier) ... BatchMeterUsage does not support CustomerIdentifier for new "
            "integrations.",
        ),
        ("CONTROL", "products[].concurrentAgreements"),
        lenient=True,
        profiles=NEW,
        kind=Kind.BATCH,
        errors=_ANY,
        needs=(Need.CONCURRENT_PRODUCT,),
    ),
    _r(
        "BMU-API-ENABLED",
        "BatchMeterUsage",
        "BatchMeterUsage is enabled in the Region the harness calls: no request is refused with "
        "DisabledApiException (the service model's error for an API disabled in the Region). "
        "Any other answer is evidence the rule holds; this one breaks it even where any 4xx "
        "error is allowed.",
        "I",
        ("BOTOCORE", "operations.BatchMeterUsage.errors: DisabledApiException"),
        ("SDK-V1", "DisabledApiException: The API is disabled in the Region."),
        kind=Kind.BATCH,
        errors=("DisabledApiException",),
    ),
    # ResolveCustomer -----------------------------------------------------------------------------
    _r(
        "RC-RESOLVE",
        "ResolveCustomer",
        "A valid registration token returns the CustomerIdentifier, CustomerAWSAccountId and "
        "ProductCode it was issued for (and LicenseArn in 2026-11).",
        "D",
        (
            "SDK-V1",
            "The registration token is resolved through this API to obtain a "
            "CustomerIdentifier along with the CustomerAWSAccountId and ProductCode.",
        ),
        kind=Kind.RESOLVE,
        needs=(Need.VALID_TOKEN,),
    ),
    _r(
        "RC-INVALID",
        "ResolveCustomer",
        "An unknown or garbled token gets InvalidTokenException.",
        "D",
        ("SDK-V1", "InvalidTokenException: Registration token is invalid."),
        kind=Kind.RESOLVE,
        errors=("InvalidTokenException",),
    ),
    _r(
        "RC-EXPIRED",
        "ResolveCustomer",
        "An expired token gets ExpiredTokenException.",
        "D",
        ("SDK-V1", "ExpiredTokenException: The submitted registration token has expired."),
        kind=Kind.RESOLVE,
        errors=("ExpiredTokenException",),
        needs=(Need.EXPIRED_TOKEN,),
    ),
    _r(
        "RC-REUSE",
        "ResolveCustomer",
        "A token resolved before resolves to the same identity again, or gets "
        "ExpiredTokenException; never to another identity.",
        "C",
        ("SDK-V1", "This can happen if ... the buyer has resubmitted the registration token"),
        lenient=True,
        kind=Kind.RESOLVE,
        errors=("ExpiredTokenException",),
        needs=(Need.VALID_TOKEN,),
    ),
    _r(
        "RC-METERABLE",
        "ResolveCustomer,BatchMeterUsage",
        "The identity ResolveCustomer returns for a subscribed customer is accepted by "
        "BatchMeterUsage for the returned ProductCode.",
        "I",
        ("SDK-V1", "Subsequent BatchMeterUsage calls should be made using this product code."),
        kind=Kind.RESOLVE,
        needs=(Need.METERABLE_TOKEN,),
    ),
    _r(
        "RC-AGREEMENT",
        "ResolveCustomer",
        "An AgreementId in Metadata, where the result carries one, is the one of the customer's "
        "subscription, and there is none for a customer without one; for a product on "
        "concurrent agreements CustomerIdentifier is not populated.",
        "D/U",
        (
            "BOTOCORE",
            "Metadata: The metadata associated with the resolved customer, including the "
            "AgreementId of the Amazon Web Services Marketplace agreement the customer accepted.",
        ),
        (
            "BOTOCORE",
            "For new SaaS product integrations, the CustomerIdentifier field is not populated in "
            "the ResolveCustomer API response.",
        ),
        ("CONTROL", "customers[].agreementId"),
        profiles=NEW,
        kind=Kind.RESOLVE,
        needs=(Need.VALID_TOKEN,),
    ),
    # RegisterUsage -------------------------------------------------------------------------------
    _r(
        "RU-SIGNATURE",
        "RegisterUsage",
        "Success returns Signature: a PS256 JWT that verifies with the product's public key for "
        "that PublicKeyVersion, with claims productCode, publicKeyVersion and iat near now.",
        "D/C (claim casing)",
        ("SDK-V1", "RegisterUsageOutput.Signature: JWT Token"),
        (
            "SELLER-GUIDE",
            "verify the signature with the public key; claims productCode, publicKeyVersion, iat, nonce",
        ),
        kind=Kind.REGISTER,
        needs=(Need.REGISTERING_CALLER, Need.PUBLIC_KEY),
    ),
    _r(
        "RU-NONCE",
        "RegisterUsage",
        "The Nonce sent is the nonce claim of the signed token.",
        "D",
        (
            "SDK-V1",
            "Nonce: To scope down the registration to a specific running software "
            "instance and guard against replay attacks.",
        ),
        kind=Kind.REGISTER,
        needs=(Need.REGISTERING_CALLER,),
    ),
    _r(
        "RU-PRODUCT",
        "RegisterUsage",
        "An unknown product code gets InvalidProductCodeException.",
        "D",
        _SDK_PRODUCT,
        kind=Kind.REGISTER,
        errors=_PRODUCT,
        needs=(Need.ANY_CALLER,),
    ),
    _r(
        "RU-KEY-VERSION",
        "RegisterUsage",
        "A PublicKeyVersion the product does not have gets InvalidPublicKeyVersionException.",
        "D",
        ("SDK-V1", "InvalidPublicKeyVersionException: Public Key version is invalid."),
        kind=Kind.REGISTER,
        errors=("InvalidPublicKeyVersionException",),
        needs=(Need.REGISTERING_CALLER,),
    ),
    _r(
        "RU-ENTITLEMENT",
        "RegisterUsage",
        "The first call from a caller whose customer is not entitled gets CustomerNotEntitledException.",
        "D",
        _SDK_ENTITLED,
        _SDK_FIRST_CALL,
        kind=Kind.REGISTER,
        errors=_NOT_ENTITLED,
        needs=(Need.UNENTITLED_REGISTERING_CALLER,),
    ),
    _r(
        "RU-PLATFORM",
        "RegisterUsage",
        "The first call from an unsupported platform gets PlatformNotSupportedException.",
        "D",
        (
            "SDK-V1",
            "PlatformNotSupportedException: AWS Marketplace does not support metering "
            "usage from the underlying platform.",
        ),
        _SDK_FIRST_CALL,
        kind=Kind.REGISTER,
        errors=("PlatformNotSupportedException",),
        needs=(Need.UNSUPPORTED_PLATFORM,),
    ),
    _r(
        "RU-FIRST-CALL-ONLY",
        "RegisterUsage",
        "Once a caller has registered, later calls from it succeed even if the customer's entitlement ends.",
        "D",
        (
            "SDK-V1",
            "Subsequent calls from the same Amazon ECS task instance (e.g. task-id) or "
            "Amazon EKS pod will not throw a CustomerNotSubscribedException, even if the customer "
            "unsubscribes while the Amazon ECS task or Amazon EKS pod is still running.",
        ),
        kind=Kind.REGISTER,
        needs=(Need.REGISTERING_CALLER, Need.FIXTURE_CHANGES),
    ),
    _r(
        "RU-REGION",
        "RegisterUsage",
        "A caller that calls RegisterUsage in another Region than its own gets InvalidRegionException.",
        "D",
        (
            "SDK-V1",
            "InvalidRegionException: RegisterUsage must be called in the same AWS Region "
            "the ECS task was launched in.",
        ),
        kind=Kind.REGISTER,
        errors=("InvalidRegionException",),
        needs=(Need.REGISTERING_CALLER_ELSEWHERE,),
    ),
    # Across operations ---------------------------------------------------------------------------
    _r(
        "RETRY-CONVERGES",
        "*",
        "After an indeterminate outcome, retrying the identical request ends with exactly one "
        "recorded record for that key, never two.",
        "D",
        ("SDK-V1", "InternalServiceErrorException: An internal error has occurred. Retry your request."),
        ("SDK-V1", "UnprocessedRecords ... You can retry the failed request"),
        kind=Kind.RETRY,
        needs=(Need.INJECTED_FAULTS,),
        about_records=True,
    ),
    _r(
        "CONC-LINEARIZABLE",
        "*",
        "Outcomes of concurrent requests are explained by some sequential order of the same "
        "requests run through the model.",
        "I",
        ("SDK-V1", "These clients are safe to use concurrently."),
        kind=Kind.CONCURRENCY,
    ),
)

_SDK_IDEMPOTENT = (
    "SDK-V1",
    "For identical requests, the API is idempotent; requests can be retried with the same "
    "records or a subset of the input records.",
)
_SDK_RETRY = ("SDK-V1", "InternalServiceErrorException: An internal error has occurred. Retry your request.")
_METERED = "MeterUsage,BatchMeterUsage"

CLIENT_RULES: tuple[Rule, ...] = (
    # What a seller's own metering code must do (``conformance client``). Judged from the
    # requests it sent through the fault proxy and the records the emulator holds, never from
    # the seller's intent; kept out of RULES, which a target is judged by.
    _r(
        "CLIENT-EXACTLY-ONCE",
        _METERED,
        "The usage the service holds after a run under faults equals what it holds after the same "
        "run without faults: no record lost, none billed twice.",
        "D",
        _SDK_IDEMPOTENT,
        ("SELLERS", "a counter reset only on a 200 answer bills twice when the answer is lost"),
        kind=Kind.CLIENT,
    ),
    _r(
        "CLIENT-BATCH-SIZE",
        "BatchMeterUsage",
        "Every BatchMeterUsage request carries 1 to 25 usage records.",
        "D",
        ("SDK-V1", "BatchMeterUsage can process up to 25 UsageRecords at a time."),
        kind=Kind.CLIENT,
    ),
    _r(
        "CLIENT-WINDOW",
        _METERED,
        "No request is refused with TimestampOutOfBoundsException: every timestamp is inside the "
        "window (at most 6 hours old, not in the future).",
        "D",
        _SDK_WINDOW,
        _SDK_TOOB,
        kind=Kind.CLIENT,
        errors=("TimestampOutOfBoundsException",),
    ),
    _r(
        "CLIENT-WELL-FORMED",
        "*",
        "No request is refused as malformed or invalid (ValidationException, an unknown product, "
        "dimension or customer, bad allocations or tags, an unreadable body).",
        "D",
        _SDK_PRODUCT,
        _SDK_DIMENSION,
        _SDK_ALLOC,
        kind=Kind.CLIENT,
        errors=(
            "ValidationException",
            "SerializationException",
            "UnknownOperationException",
            "InvalidProductCodeException",
            "InvalidUsageDimensionException",
            "InvalidCustomerIdentifierException",
            "InvalidUsageAllocationsException",
            "InvalidTagException",
        ),
    ),
    _r(
        "CLIENT-RETRY-FAILED",
        _METERED,
        "Usage in a request answered ThrottlingException or a 5xx error, or whose answer was lost, "
        "is sent again.",
        "D",
        _SDK_RETRY,
        ("SDK-V1", "ThrottlingException: The calls to the API are throttled."),
        ("SELLERS", "metering-sqs.js marks throttled usage failed for good"),
        kind=Kind.CLIENT,
    ),
    _r(
        "CLIENT-RETRY-UNPROCESSED",
        "BatchMeterUsage",
        "Every record a BatchMeterUsage answer lists in UnprocessedRecords is sent again.",
        "D",
        (
            "SDK-V1",
            "UnprocessedRecords: Contains all UsageRecords that were not processed by "
            "BatchMeterUsage. You can retry the failed request by making another BatchMeterUsage "
            "call with this list as input.",
        ),
        ("SELLERS", "metering-sqs.js never reads UnprocessedRecords"),
        kind=Kind.CLIENT,
    ),
    _r(
        "CLIENT-NO-STORM",
        _METERED,
        "Usage is sent again only after its last send failed (throttled, a 5xx error, a lost "
        "answer, or listed unprocessed): calls per record are at most one more than its failures.",
        "I",
        ("SDK-V1", "Results: ... Invalid records should be fixed before being resubmitted."),
        kind=Kind.CLIENT,
    ),
    _r(
        "CLIENT-BACKOFF",
        _METERED,
        "After a ThrottlingException the code waits before sending the same usage again: four "
        "sends in a row of one usage that each follow a throttle of the send before wait 100 ms "
        "or more after those throttles in all (an SDK's standard or adaptive retries wait a random "
        "part of 1, 2, 4 s ...; immediate resends do not).",
        "I",
        (
            "BOTOCORE-RETRY",
            "t_i = rand(0, 1) * min(base_scale * 2 ** i, MAX_BACKOFF) ... base_scale is 1 second "
            "for throttling errors",
        ),
        ("SDK-V1", "ThrottlingException: The calls to the API are throttled."),
        kind=Kind.CLIENT,
    ),
    _r(
        "CLIENT-IDENTICAL-RETRY",
        _METERED,
        "After a 5xx error or a lost answer, the next send of the same usage (customer, dimension "
        "and hour) has the same timestamp, quantity and allocations, so the service can "
        "deduplicate it.",
        "D",
        _SDK_IDEMPOTENT,
        ("SELLERS", "usage re-stamped on retry is a new record to the service"),
        kind=Kind.CLIENT,
    ),
)

RULES_BY_ID: dict[RuleId, Rule] = {rule.id: rule for rule in (*RULES, *CLIENT_RULES)}


def errors_of(rule_id: RuleId) -> frozenset[str]:
    """The named codes ``rule_id`` refuses with (``*``, any 4xx, left out)."""
    return _errors_of(rule_id)


@cache  # typed apart: a cached function takes any hashable argument
def _errors_of(rule_id: RuleId) -> frozenset[str]:
    return frozenset(code for code in RULES_BY_ID[rule_id].errors if code != ANY_CLIENT_ERROR)


def is_wire(rule_id: RuleId) -> bool:
    """Whether ``rule_id`` judges the wire format of any answer (its kind, never its name)."""
    return RULES_BY_ID[rule_id].kind is Kind.WIRE


def rules_for(profile: str) -> tuple[Rule, ...]:
    """The rules that apply under a profile, in catalogue order."""
    return tuple(rule for rule in RULES if profile in rule.profiles)
