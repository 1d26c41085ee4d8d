"""The client rules (models/seller.py) on hand-made logs: each rule breaks where it should and
holds where a correct client's log would make a careless judge cry wolf."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from conformance.models.catalogue import CLIENT_RULES, RULES, RULES_BY_ID, Kind, rules_for
from conformance.models.control_record import ControlRecord
from conformance.models.requests import OPERATION_NAMES
from conformance.models.response_rules import GENERIC_ERRORS
from conformance.models.seller import (
    LOG_RULES,
    ClientLimits,
    Fate,
    Lapse,
    LoggedCall,
    LogJudgement,
    billed,
    fingerprint,
    judge_log,
    judge_records,
)
from conformance.sellers.wording import breach_lines
from conformance.wire.protocol import decode_request
from conformance.wire.service_model import model_for

T0 = 1_764_316_800.0  # an hour boundary
MODEL = model_for("2025-01")
LIMITS = ClientLimits.of(MODEL.shapes)


def judge(exchanges: list[LoggedCall]) -> LogJudgement:
    return judge_log(exchanges, LIMITS)


def logged(index: int, operation: str, body: dict[str, Any], fault: str = "none", status: int | None = 200,
           answer: dict[str, Any] | None = None) -> LoggedCall:  # fmt: skip
    """What the fault proxy logs of a request with ``body``: the body, read as the service reads it."""
    request = decode_request(f"AWSMPMeteringService.{operation}", json.dumps(body).encode(), MODEL)
    return LoggedCall(index, operation, body, request, fault, status, answer)


def record(
    customer: str = "cust-a", dimension: str = "users", timestamp: float = T0 + 60, quantity: int = 1
) -> dict[str, Any]:
    return {
        "CustomerIdentifier": customer,
        "Dimension": dimension,
        "Timestamp": timestamp,
        "Quantity": quantity,
    }


def batch(index: int, records: list[dict[str, Any]], fault: str = "none", status: int | None = 200,
          answer: dict[str, Any] | None = None) -> LoggedCall:  # fmt: skip
    body = {"ProductCode": "prod-a", "UsageRecords": records}
    if answer is None and status == 200:
        answer = {
            "Results": [{"UsageRecord": r, "Status": "Success"} for r in records],
            "UnprocessedRecords": [],
        }
    return logged(index, "BatchMeterUsage", body, fault, status, answer)


def meter(index: int, timestamp: float = T0 + 60, quantity: int = 1, fault: str = "none",
          status: int | None = 200, error: str | None = None) -> LoggedCall:  # fmt: skip
    body = {
        "ProductCode": "prod-a",
        "UsageDimension": "vcpu",
        "Timestamp": timestamp,
        "UsageQuantity": quantity,
    }
    answer = {"__type": error, "message": "m"} if error else {"MeteringRecordId": "r"}
    return logged(index, "MeterUsage", body, fault, status, answer if status is not None else None)


def broken(exchanges: list[LoggedCall]) -> set[str]:
    return {b.rule for b in judge(exchanges).breaches}


def test_client_rules_are_in_the_catalogue_but_no_target_is_judged_by_them():
    assert {r.id for r in CLIENT_RULES} == {*LOG_RULES, "CLIENT-EXACTLY-ONCE"}
    assert all(r.kind is Kind.CLIENT and r.id in RULES_BY_ID and r.sources for r in CLIENT_RULES)
    assert not any(r.kind is Kind.CLIENT for r in RULES)
    assert not any(
        r.id.startswith("CLIENT-") for profile in ("2025-01", "2026-11") for r in rules_for(profile)
    )


def test_a_clean_log_breaks_nothing_and_counts_what_it_judged():
    judgement = judge([batch(1, [record(), record("cust-b")]), meter(2)])
    assert judgement.breaches == ()
    assert judgement.judged["CLIENT-BATCH-SIZE"] == 1
    assert judgement.judged["CLIENT-WINDOW"] == 2
    assert "CLIENT-NO-STORM" not in judgement.judged  # nothing was sent twice


@pytest.mark.parametrize("size", [0, 26])
def test_a_batch_outside_1_to_25_records_breaks_batch_size(size):
    records = [record(f"cust-{i}") for i in range(size)]
    breach = judge([batch(1, records, status=400, answer={"__type": "ValidationException"})]).of(
        "CLIENT-BATCH-SIZE"
    )
    assert [(b.lapse, b.request, b.detail) for b in breach] == [(Lapse.BATCH_SIZE, 1, str(size))]


def test_25_records_are_a_batch():
    assert "CLIENT-BATCH-SIZE" not in broken([batch(1, [record(f"cust-{i}") for i in range(25)])])


def test_service_refusals_break_window_and_well_formed_but_injected_answers_do_not():
    assert broken([meter(1, status=400, error="TimestampOutOfBoundsException")]) == {"CLIENT-WINDOW"}
    assert broken([meter(1, status=400, error="InvalidUsageDimensionException")]) == {"CLIENT-WELL-FORMED"}
    # a namespaced code is the same code
    assert broken([meter(1, status=400, error="aws#ValidationException")]) == {"CLIENT-WELL-FORMED"}
    # a duplicate or a lapsed customer is no client bug
    assert broken([meter(1, status=400, error="DuplicateRequestException")]) == set()
    throttled = meter(1, fault="throttle", status=400, error="ThrottlingException")
    assert broken([throttled, meter(2)]) == set()


@pytest.mark.parametrize(
    ("fault", "status", "error", "fate"),
    [
        ("throttle", 400, "ThrottlingException", "throttled"),
        ("internal", 500, "InternalServiceErrorException", "server-error"),
        ("reset-before", None, None, "lost"),
        ("reset-after", None, None, "lost"),
    ],
)
def test_a_failed_send_never_sent_again_breaks_retry_failed(fault, status, error, fate):
    failed = meter(1, fault=fault, status=status, error=error)
    breaches = judge([failed]).breaches
    assert [(b.rule, b.lapse, b.request, b.detail) for b in breaches] == [
        ("CLIENT-RETRY-FAILED", Lapse.NOT_RETRIED, 1, fate)
    ]
    assert broken([failed, meter(2)]) == set()


def test_a_record_listed_unprocessed_must_be_sent_again():
    a, b = record("cust-a"), record("cust-b")
    answer = {"Results": [{"UsageRecord": a, "Status": "Success"}], "UnprocessedRecords": [b]}
    first = batch(1, [a, b], fault="unprocessed=1", answer=answer)
    assert broken([first]) == {"CLIENT-RETRY-UNPROCESSED"}
    assert judge([first]).of("CLIENT-RETRY-UNPROCESSED")[0].usage.subject == "cust-b"
    assert broken([first, batch(2, [b])]) == set()


def test_an_unprocessed_record_is_matched_by_key_even_if_the_answer_reformats_it():
    a = record("cust-a", timestamp=T0 + 60.25)
    echoed = {**a, "Timestamp": T0 + 60}  # same customer, dimension and hour
    first = batch(1, [a], answer={"Results": [], "UnprocessedRecords": [echoed]})
    assert judge([first, batch(2, [a])]).breaches == ()
    assert broken([first]) == {"CLIENT-RETRY-UNPROCESSED"}


def test_sending_usage_again_after_it_was_answered_is_a_storm():
    breaches = judge([meter(1), meter(2)]).of("CLIENT-NO-STORM")
    assert [(b.lapse, b.request, b.earlier) for b in breaches] == [(Lapse.SENT_AFTER_ANSWER, 2, 1)]
    # another hour is other usage
    assert broken([meter(1), meter(2, timestamp=T0 + 3600 + 60)]) == set()
    # a DryRun sends no usage
    dry = logged(
        1, "MeterUsage", {**meter(1).body, "DryRun": True}, "none", 412, {"__type": "DryRunOperation"}
    )
    assert broken([dry, meter(2)]) == set()


def test_a_retry_after_a_lost_answer_must_repeat_timestamp_and_quantity():
    lost = meter(1, fault="reset-after", status=None)
    assert broken([lost, meter(2)]) == set()
    restamped = judge([lost, meter(2, timestamp=T0 + 61)]).of("CLIENT-IDENTICAL-RETRY")
    assert [(b.lapse, b.request, b.earlier, b.detail) for b in restamped] == [
        (Lapse.RETRY_CHANGED, 2, 1, "Timestamp")
    ]
    assert judge([lost, meter(2, quantity=5)]).of("CLIENT-IDENTICAL-RETRY")[0].detail == "quantity"


def test_a_changed_retry_after_a_throttle_is_allowed():
    """A throttled request was not recorded, so what is sent next is simply the usage."""
    throttled = meter(1, fault="throttle", status=400, error="ThrottlingException")
    assert broken([throttled, meter(2, timestamp=T0 + 61)]) == set()


def test_fates():
    assert Fate.LOST.indeterminate and Fate.SERVER_ERROR.indeterminate
    assert Fate.THROTTLED.failed and not Fate.THROTTLED.indeterminate
    assert not Fate.ANSWERED.failed


def test_records_compare_without_timestamps_or_ids():
    one = ControlRecord("MeterUsage", "p", dimension="d", quantity=2, timestamp=1.0,
                        metering_record_id="a", caller_access_key_id="AKIA")  # fmt: skip
    same = replace(one, timestamp=2.0, metering_record_id="b")
    assert billed([one]) == billed([same])
    assert judge_records([one], [same]) == ()
    lost, extra = judge_records([one, one], [one]), judge_records([one], [one, same])
    assert [(b.lapse, b.count) for b in lost] == [(Lapse.LOST_USAGE, 1)]
    assert [(b.lapse, b.count) for b in extra] == [(Lapse.EXTRA_USAGE, 1)]
    other = replace(one, quantity=3)
    assert {b.lapse for b in judge_records([one], [other])} == {Lapse.LOST_USAGE, Lapse.EXTRA_USAGE}


def test_a_fingerprint_ignores_timestamps_and_client_tokens_only():
    a = meter(1).body
    assert fingerprint("MeterUsage", a) == fingerprint("MeterUsage", {**a, "Timestamp": T0 + 99})
    # botocore fills in a new ClientToken for every call (found: a MeterUsage retried by the
    # seller's own loop never met its faults again while shrinking)
    assert fingerprint("MeterUsage", {**a, "ClientToken": "t-1"}) == fingerprint(
        "MeterUsage", {**a, "ClientToken": "t-2"}
    )
    assert fingerprint("MeterUsage", a) != fingerprint("MeterUsage", {**a, "UsageQuantity": 9})
    assert fingerprint("MeterUsage", a) != fingerprint("BatchMeterUsage", a)


def test_a_breach_of_exactly_once_names_every_record_lost_or_the_first_five_and_how_many_more():
    def held(n: int) -> list[ControlRecord]:
        return [
            ControlRecord("BatchMeterUsage", "p", customer_identifier=f"c{i}", dimension="d", quantity=1)
            for i in range(n)
        ]

    _, received = breach_lines(judge_records(held(3), []))
    assert received.startswith("3 records lost: ") and all(f"c{i} d" in received for i in range(3))
    _, received = breach_lines(judge_records(held(8) + held(1), []))  # c0 held twice
    assert received.startswith("9 records lost: ") and "c0 d quantity 1 (2 times)" in received
    assert received.endswith("; and 3 more") and "c4 d" in received and "c5 d" not in received


def test_a_client_rule_says_what_it_judged_and_in_plain_words_what_no_run_had():
    from conformance.sellers.wording import judged_text

    assert judged_text("CLIENT-BATCH-SIZE", 12) == "judged 12 BatchMeterUsage calls"
    assert judged_text("CLIENT-BATCH-SIZE", 1) == "judged 1 BatchMeterUsage call"
    assert judged_text("CLIENT-RETRY-UNPROCESSED", 0).startswith(
        "not reached: no run had a record listed in UnprocessedRecords"
    )
    for rule in CLIENT_RULES:  # every client rule has its words
        assert judged_text(rule.id, 2).startswith("judged 2 ")


@pytest.mark.parametrize("profile", ["2025-01", "2026-11"])
def test_client_limits_come_from_the_pinned_service_model_and_the_catalogue(profile):
    shapes = model_for(profile).shapes
    limits = ClientLimits.of(shapes)
    # the shape's max; at least one record, as an empty batch may be refused (BMU-EMPTY)
    assert limits.batch_records == (1, shapes.member_limit("BatchMeterUsageRequest", "UsageRecords", "max"))
    named = set().union(*(shapes.errors(op) for op in OPERATION_NAMES))
    assert limits.malformed and limits.malformed <= named | GENERIC_ERRORS
    assert limits.out_of_window == {"TimestampOutOfBoundsException"} <= named
    assert not limits.malformed & {
        "ThrottlingException",
        "DuplicateRequestException",
        "CustomerNotEntitledException",
    }


def _timed(exchanges: list[LoggedCall], gaps_ms: list[float]) -> list[LoggedCall]:
    """The exchanges, each sent ``gaps_ms[i]`` after the one before was answered (1 ms each)."""
    timed, clock = [], 100.0
    for exchange, gap in zip(exchanges, [0.0, *gaps_ms], strict=True):
        clock += gap / 1000
        timed.append(replace(exchange, received=clock, answered=clock + 0.001))
        clock += 0.001
    return timed


THROTTLED = {"fault": "throttle", "status": 400, "error": "ThrottlingException"}


@pytest.mark.parametrize(
    ("gaps_ms", "total"),
    [
        ([2, 2, 2, 2], "8 ms"),
        ([2, 90, 2, 2], "96 ms"),  # one resend slowed by a loaded machine is still a storm
        ([200, 2, 2, 2, 2], "8 ms"),  # the last four in a row
    ],
)
def test_resending_at_once_after_throttles_in_a_row_breaks_backoff(gaps_ms, total):
    last = len(gaps_ms) + 1
    sends = [meter(i, **THROTTLED) for i in range(1, last)] + [meter(last)]
    breaches = judge(_timed(sends, gaps_ms)).of("CLIENT-BACKOFF")
    assert [(b.lapse, b.request, b.earlier, b.detail) for b in breaches] == [
        (Lapse.NO_BACKOFF, last, last - 1, total)
    ]
    expected, received = breach_lines(breaches)
    assert expected.endswith("with a backoff: 4 resends in a row waiting 100 ms or more in all")
    assert received == (
        f"request {last} was the 4th resend in a row right after a throttle "
        f"(the last, request {last - 1}'s): the 4 waited {total} in all"
    )


@pytest.mark.parametrize(
    "gaps_ms",
    [
        [2, 2, 2, 120],  # waits of 100 ms or more in all are a backoff
        [60, 30, 10, 10],
        [2, 2, 2],  # three quick resends are no streak
    ],
)
def test_a_wait_after_a_throttle_or_a_short_streak_is_no_storm(gaps_ms):
    sends = [meter(i, **THROTTLED) for i in range(1, len(gaps_ms) + 1)] + [meter(len(gaps_ms) + 1)]
    judgement = judge(_timed(sends, gaps_ms))
    assert judgement.of("CLIENT-BACKOFF") == ()
    assert judgement.judged["CLIENT-BACKOFF"] == len(gaps_ms)


def test_a_quick_resend_after_a_server_error_is_no_backoff_matter():
    sends = [meter(i, fault="internal", status=500, error="InternalServiceErrorException") for i in (1, 2, 3)]
    judgement = judge(_timed([*sends, meter(4)], [1, 1, 1]))
    assert judgement.of("CLIENT-BACKOFF") == () and "CLIENT-BACKOFF" not in judgement.judged


def test_a_batch_carrying_one_usage_twice_is_named_as_such():
    breaches = judge([batch(1, [record("cust-a"), record("cust-a", timestamp=T0 + 120)])]).of(
        "CLIENT-NO-STORM"
    )
    assert [(b.lapse, b.request, b.earlier) for b in breaches] == [(Lapse.TWICE_IN_ONE_REQUEST, 1, 1)]
    expected, received = breach_lines(breaches)
    assert "once in request 1" in expected
    assert received == "request 1 carries it twice (the same customer, dimension and hour)"


def test_a_storm_names_what_the_service_answered_the_usage_it_kept_sending():
    a, b = record("cust-a"), record("cust-b")
    answer = {
        "Results": [
            {"UsageRecord": a, "Status": "Success"},
            {"UsageRecord": b, "Status": "CustomerNotSubscribed"},
        ],
        "UnprocessedRecords": [],
    }
    breaches = judge([batch(1, [a, b], answer=answer), batch(2, [b])]).of("CLIENT-NO-STORM")
    assert [(b.request, b.earlier, b.usage.subject, b.detail) for b in breaches] == [
        (2, 1, "cust-b", "CustomerNotSubscribed")
    ]
    expected, received = breach_lines(breaches)
    assert expected.endswith("not sent again once request 1 answered it (CustomerNotSubscribed)")
    assert received == "request 2 sent it again"
    refused = meter(1, status=400, error="CustomerNotEntitledException")
    assert judge([refused, meter(2)]).of("CLIENT-NO-STORM")[0].detail == "CustomerNotEntitledException"
    assert judge([meter(1), meter(2)]).of("CLIENT-NO-STORM")[0].detail == "Success"


def test_a_retry_stamped_into_another_hour_is_named_beside_the_usage_never_sent_again():
    lost = meter(1, timestamp=T0 + 3500, fault="reset-before", status=None)
    moved = meter(2, timestamp=T0 + 3700)  # the same usage, restamped past the hour
    breaches = judge([lost, moved]).of("CLIENT-RETRY-FAILED")
    assert [(b.request, b.later, b.alike.hour.hour - b.usage.hour.hour) for b in breaches] == [(1, 2, 1)]
    _, received = breach_lines(breaches)
    assert received.startswith("it was never sent again at that hour; request 2 sent prod-a/vcpu at hour ")
    assert "if that was its retry, its new timestamp moved it into another hour" in received
    # another quantity, or an hour the job had sent before the failure, is not alike: its own usage
    assert judge([lost, meter(2, timestamp=T0 + 3700, quantity=5)]).of("CLIENT-RETRY-FAILED")[0].alike is None
    earlier = meter(1, timestamp=T0 + 3700)
    again = [earlier, replace(lost, index=2), replace(meter(3, timestamp=T0 + 3700), index=3)]
    assert judge(again).of("CLIENT-RETRY-FAILED")[0].alike is None
    _, received = breach_lines(judge([lost]).of("CLIENT-RETRY-FAILED"))
    assert received == "it was never sent again"


def test_a_refusal_for_the_window_names_the_record_furthest_from_the_services_clock():
    from datetime import UTC, datetime

    clock = datetime.fromtimestamp(T0 + 7 * 3600 + 180, UTC)
    records = [record(f"cust-{i}", timestamp=T0 + 6 * 3600 + 60 * i) for i in range(20)]
    records[13] = record("cust-13", timestamp=T0)  # 7 h 03 min before the clock
    refused = replace(
        batch(1, records, status=400, answer={"__type": "TimestampOutOfBoundsException"}), clock=clock
    )
    (breach,) = judge([refused]).of("CLIENT-WINDOW")
    assert (breach.usage.subject, breach.count, breach.clock) == ("cust-13", 20, clock)
    _, received = breach_lines([breach])
    assert received == (
        "TimestampOutOfBoundsException: of its 20 records, the furthest from it, prod-a/cust-13, "
        "users at hour 2025-11-28T08:00Z is stamped 2025-11-28T08:00:00Z, 7 h 03 min before the "
        "service's clock (15:03:00Z)"
    )
    # without the service's clock (no Date), the refusal alone
    assert breach_lines(judge([replace(refused, clock=None)]).of("CLIENT-WINDOW"))[1] == (
        "TimestampOutOfBoundsException"
    )
