"""Fault schedules: written and read back, injected by request through the proxy (which logs
what it saw), addressed by request while shrinking, and shrunk to a 1-minimal set."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from conformance.faults import Fault, RequestFaults, Sent
from conformance.models.seller import BACKOFF_STREAK, BACKOFF_TOTAL_SECONDS, LoggedCall, fingerprint
from conformance.sellers import MeteringService
from conformance.sellers.shrink import RequestAddressedFaults, addressed_faults, shrink
from tests.helpers import loopback_client


def test_a_schedule_reads_back_what_it_writes():
    schedule = RequestFaults({7: Fault(None, 0, 0), 3: Fault("reset-after", 12)})
    assert schedule.text() == "3:reset-after;latency=12,7:unprocessed=0"
    assert RequestFaults.parse(schedule.text()) == schedule
    assert RequestFaults.parse("") == RequestFaults() and not RequestFaults()
    assert RequestFaults({2: Fault()}) == RequestFaults()  # no fault is no entry
    by_content = RequestFaults({("1f3a9c02", 2): Fault("internal"), 1: Fault("throttle")})
    assert by_content.text() == "1:throttle,1f3a9c02/2:internal"
    assert RequestFaults.parse(by_content.text()) == by_content


def test_a_schedule_by_content_meets_the_same_send_of_the_same_request_in_any_order():
    schedule = RequestFaults({("1f3a9c02", 2): Fault("internal")})
    assert schedule.fault(Sent(9, "MeterUsage", b"{}", "1f3a9c02", 2)) == Fault("internal")
    assert schedule.fault(Sent(2, "MeterUsage", b"{}", "1f3a9c02", 1)) == Fault()
    assert schedule.fault(Sent(2, "MeterUsage", b"{}", "0000beef", 2)) == Fault()


@pytest.mark.parametrize(
    "text",
    ["x", "0:throttle", "3:throttle,3:internal", "2:boom", "3", "1f3a9c02/0:throttle", "1F3A/1:internal"],
)
def test_a_bad_schedule_is_refused(text):
    with pytest.raises(ValueError):
        RequestFaults.parse(text)


def _client(service: MeteringService):
    return loopback_client(service.endpoint_url, "AKIACONFORMANCETEST1")


def _meter(client, hour_ago: int = 0) -> None:
    from datetime import UTC, datetime, timedelta

    client.meter_usage(
        ProductCode="prod-container",
        Timestamp=datetime.now(UTC) - timedelta(hours=hour_ago),
        UsageDimension="vcpu-hours",
        UsageQuantity=1,
    )


def test_the_proxy_injects_a_schedule_by_request_and_logs_each_exchange():
    with MeteringService() as service:
        service.reset()
        service.use(RequestFaults({2: Fault("throttle")}))
        client = _client(service)
        _meter(client, 0)
        with pytest.raises(client.exceptions.ThrottlingException):
            _meter(client, 1)
        _meter(client, 1)
        log = service.log()
        assert [(e.index, e.operation, e.fault, e.status) for e in log] == [
            (1, "MeterUsage", "none", 200),
            (2, "MeterUsage", "throttle", 400),
            (3, "MeterUsage", "none", 200),
        ]
        assert log[1].error == "ThrottlingException" and not log[1].from_service
        assert log[0].body["ProductCode"] == "prod-container"
        assert log[0].request.product_code == "prod-container"  # read once, as the service reads it
        assert len(service.records()) == 2
        assert service.log() == log  # reading leaves the log as it is
        service.use(RequestFaults())
        assert service.log() == []  # a new schedule starts a new log
        text = json.dumps([e.body for e in log] + [e.answer for e in log])
        assert "Authorization" not in text and "AKIA" not in text  # no header is logged


def test_a_request_is_in_the_log_as_soon_as_the_client_has_its_answer(monkeypatch):
    """A job that exits on its last answer must find that request in the log read right after
    (the handler thread may still be running when the client has the answer)."""
    import time

    with MeteringService() as service:
        service.reset()
        handler = service._proxy.server.RequestHandlerClass
        reply = handler._reply

        def reply_then_stall(self, answer):
            sent = reply(self, answer)
            time.sleep(0.3)  # the handler thread is descheduled after the client got the answer
            return sent

        monkeypatch.setattr(handler, "_reply", reply_then_stall)
        _meter(_client(service))
        assert [(e.index, e.status) for e in service.log()] == [(1, 200)]


def _met(*faults: tuple[str, str]) -> list[LoggedCall]:
    return [LoggedCall(i, "MeterUsage", {"n": key}, None, fault) for i, (key, fault) in enumerate(faults, 1)]


def test_faults_are_addressed_by_request_and_send():
    log = _met(("a", "throttle"), ("a", "reset-after"), ("a", "none"), ("b", "internal"))
    a, b = fingerprint("MeterUsage", {"n": "a"}), fingerprint("MeterUsage", {"n": "b"})
    assert addressed_faults(log) == [
        ((a, 1), Fault("throttle")),
        ((a, 2), Fault("reset-after")),
        ((b, 1), Fault("internal")),
    ]


def test_taking_a_fault_away_takes_its_send_away():
    met = addressed_faults(_met(("a", "throttle"), ("a", "reset-after"), ("a", "none")))
    source = RequestAddressedFaults(met, met[1:])  # the reset alone
    body = json.dumps({"n": "a"}).encode()
    key = fingerprint("MeterUsage", {"n": "a"})
    sent = [Sent(i, "MeterUsage", body, key, i) for i in (1, 2)]
    assert [source.fault(one) for one in sent] == [Fault("reset-after"), Fault()]


def test_shrinking_finds_the_one_fault_that_matters_and_drops_needless_latency():
    items = [((f"r{i}", 1), Fault("throttle")) for i in range(10)]
    items[6] = (("r6", 1), Fault("reset-after", 30))
    calls = []

    def breaks(chosen):
        calls.append(chosen)
        return any(address == ("r6", 1) and fault.blocking == "reset-after" for address, fault in chosen)

    shrunk = shrink(items, breaks, max_runs=50)
    assert shrunk.faults == ((("r6", 1), Fault("reset-after")),)
    assert not shrunk.exhausted and shrunk.runs == len(calls) < 15


def test_shrinking_keeps_two_faults_that_matter_together():
    items = [((f"r{i}", 1), Fault("throttle")) for i in range(8)]
    needed = {("r1", 1), ("r5", 1)}

    shrunk = shrink(items, lambda chosen: needed <= {a for a, _ in chosen}, max_runs=60)
    assert {a for a, _ in shrunk.faults} == needed


def test_shrinking_stops_at_its_run_budget_with_a_breaking_schedule():
    items = [((f"r{i}", 1), Fault("throttle")) for i in range(16)]
    shrunk = shrink(items, lambda chosen: ("r9", 1) in {a for a, _ in chosen}, max_runs=2)
    assert shrunk.exhausted and shrunk.runs == 2
    assert ("r9", 1) in {a for a, _ in shrunk.faults}
    # the smallest breaking schedule the search found, not the one it started from: the 2nd
    # half (8 faults) broke on the 2nd run
    assert len(shrunk.faults) == 8


def _give_up_after(k: int, key: str):
    """A job whose SDK gives up when ``k`` sends of one request in a row meet a fault."""

    def breaks(chosen):
        sends = sorted(send for (fingerprint, send), _ in chosen if fingerprint == key)
        return any(sends[i : i + k] == list(range(sends[i], sends[i] + k)) for i in range(len(sends)))

    return breaks


def test_a_streak_of_faults_on_one_request_shrinks_as_a_unit():
    """The minimal schedule of an SDK's retries running out is k faults in a row on one
    request: taken away one by one it is never found in fewer runs than as a unit."""
    items = [(("a", send), Fault("throttle")) for send in range(1, 9)] + [
        ((f"r{i}", 1), Fault("internal")) for i in range(8)
    ]
    breaks = _give_up_after(8, "a")
    as_units = shrink(items, breaks, max_runs=200, streaks=True)
    assert as_units.faults == tuple(items[:8]) and not as_units.exhausted
    one_by_one = shrink(items, breaks, max_runs=200)
    assert one_by_one.faults == as_units.faults and as_units.runs < one_by_one.runs


def test_a_streak_that_breaks_with_one_of_its_faults_shrinks_to_that_one():
    """The simplest schedule, not only a minimal set of streaks: a job that breaks when any send
    of request "a" fails is shown one fault, though the run met two in a row on "a"."""
    items = [(("a", 1), Fault("internal")), (("a", 2), Fault("internal"))]
    items += [((f"r{i}", 1), Fault("throttle")) for i in range(6)]

    def breaks(chosen):
        return any(address[0] == "a" for address, _ in chosen)

    shrunk = shrink(items, breaks, max_runs=60, streaks=True)
    assert len(shrunk.faults) == 1 and shrunk.faults[0][0][0] == "a" and not shrunk.exhausted


def test_shrinking_several_candidates_at_once_finds_what_one_at_a_time_finds():
    items = [((f"r{i}", 1), Fault("throttle")) for i in range(12)]
    needed = {("r3", 1), ("r10", 1)}

    def breaks(chosen):
        return needed <= {a for a, _ in chosen}

    batches = []

    def breaks_all(candidates):
        batches.append(len(candidates))
        return [breaks(c) for c in candidates]

    alone = shrink(items, breaks, max_runs=100)
    together = shrink(items, breaks, max_runs=100, at_once=4, breaks_all=breaks_all)
    assert together.faults == alone.faults and {a for a, _ in together.faults} == needed
    assert max(batches) > 1 and together.runs == sum(batches)


def test_shrinking_stops_when_its_time_is_up_with_the_fewest_breaking_faults_seen():
    items = [((f"r{i}", 1), Fault("throttle")) for i in range(16)]

    def slow(chosen):
        time.sleep(0.05)
        return ("r9", 1) in {a for a, _ in chosen}

    shrunk = shrink(items, slow, max_runs=1000, seconds=0.12)
    assert shrunk.exhausted and 0 < shrunk.runs <= 4
    assert ("r9", 1) in {a for a, _ in shrunk.faults} and len(shrunk.faults) < len(items)


def test_a_record_listed_unprocessed_is_not_held_and_its_retry_is_billed_once():
    """As with the service: a record left unprocessed was not stored, so code that drops it
    loses usage (CLIENT-EXACTLY-ONCE sees it) and its retry is a first send."""
    from datetime import UTC, datetime, timedelta

    stamp = datetime.now(UTC) - timedelta(minutes=5)
    records = [
        {"CustomerIdentifier": who, "Dimension": "users", "Timestamp": stamp, "Quantity": 2}
        for who in ("cust-acme", "cust-globex")
    ]
    with MeteringService() as service:
        service.use(RequestFaults({1: Fault(None, 0, 1)}))
        client = _client(service)
        answer = client.batch_meter_usage(ProductCode="prod-saas", UsageRecords=records)
        (unprocessed,) = answer["UnprocessedRecords"]
        held = [r.customer_identifier for r in service.records()]
        assert len(held) == 1 and unprocessed["CustomerIdentifier"] not in held
        again = client.batch_meter_usage(ProductCode="prod-saas", UsageRecords=[unprocessed])
        assert again["Results"][0]["Status"] == "Success"
        assert sorted(r.customer_identifier for r in service.records()) == ["cust-acme", "cust-globex"]


def test_a_flaky_rule_says_how_the_run_that_held_differed():
    from conformance.models.seller import ClientLimits
    from conformance.sellers.certify import _unlike
    from conformance.sellers.command import Attempt, ClientRun
    from conformance.wire.service_model import model_for

    limits = ClientLimits.of(model_for("2025-01").shapes)

    def run(*keys: str, exit_code: int | None = 0) -> ClientRun:
        calls = tuple(LoggedCall(i, "MeterUsage", {"n": k}, None) for i, k in enumerate(keys, 1))
        return ClientRun((Attempt(exit_code, len(calls)),), calls, (), limits, 1.0)

    assert "killed at the timeout" in _unlike(run("a", exit_code=None), run("a"))
    assert "in another order" in _unlike(run("a", "b"), run("b", "a"))
    assert "other requests" in _unlike(run("a", "b"), run("a", "c"))
    assert "same requests under the same faults" in _unlike(run("a"), run("a"))


def test_the_backoff_run_throttles_the_first_request_only_while_it_comes_back_quickly():
    from conformance.sellers.certify import ThrottledWhileQuick

    def sends(waits, key="a"):
        """The faults of the sends of request ``key``, each ``wait`` s after the answer before."""
        source, met = ThrottledWhileQuick(), []
        for send, wait in enumerate(waits, 1):
            met.append(source.fault(Sent(send, "MeterUsage", b"{}", key, send, wait)).blocking)
            if send == 1:  # another request, sent meanwhile, is never throttled
                assert source.fault(Sent(99, "MeterUsage", b"{}", "b", 1)) == Fault()
        return met

    assert sends([None, 0.001, 0.001, 0.001, 0.001, 0.001]) == ["throttle"] * BACKOFF_STREAK + [None, None]
    # a late resend ends the streak for good: the rule can no longer break on it
    assert sends([None, 0.8, 0.001, 0.001]) == ["throttle", None, None, None]
    # waits the rule could still count as a storm continue the streak, until they add up
    assert sends([None, 0.03, 0.03, 0.03]) == ["throttle"] * 4
    assert sends([None, 0.06, BACKOFF_TOTAL_SECONDS - 0.059]) == ["throttle", "throttle", None]


def test_the_proxy_tells_a_fault_source_how_long_after_its_answer_a_request_came_back():
    seen = []

    class Recording:
        def fault(self, sent):
            seen.append((sent.send, sent.since_answer))
            return Fault("throttle") if sent.send == 1 else Fault()

    with MeteringService() as service:
        service.use(Recording())
        client = _client(service)
        with pytest.raises(ClientError, match="ThrottlingException"):
            _meter(client)  # a client that never retries
        time.sleep(0.2)
        _meter(client)  # the same usage again (a new timestamp): its second send
    assert seen[0] == (1, None)
    assert seen[1][0] == 2 and 0.2 <= seen[1][1] < 5
