"""What each fault does to one exchange with a service, wherever it is injected: in the fault
proxy (between the harness and an HTTP target) and in the in-process ``reference`` target
(between boto3 and the emulator's service).

``throttle`` and ``internal`` answer for the service without sending; ``reset-before`` loses the
request, ``reset-after`` sends it and loses the answer (both come back as ``None``: the caller
turns that into a reset connection); ``latency`` delays the request; ``unprocessed`` moves one
Success result of a BatchMeterUsage answered 200 to UnprocessedRecords.

``unprocessed`` takes a record out of the answer, not out of the request: a record withheld from
the request could be the one that makes the service refuse the whole batch (a timestamp out of
the window), and the injector cannot know, so what it sent might be accepted where the batch
must be refused. A record the service processed and the answer reports unprocessed is what a
lost answer looks like at the scale of one record, and the retry must converge either way.
Where the service can be told (``FaultInjector(unstore=...)``: the emulator behind ``conformance
client``), it then forgets the record, so the record is as unprocessed as the answer says and
code that drops it loses usage.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conformance.faults.plan import Fault
from conformance.models.response_rules import RawResponse

__all__ = ["FaultInjector"]

_JSON = "application/x-amz-json-1.1"


class FaultInjector:
    """Applies :class:`Fault` values to exchanges and counts what it injected. Thread-safe."""

    def __init__(self, unstore: Callable[[str], None] | None = None) -> None:
        """``unstore``: told the MeteringRecordId of each record an ``unprocessed`` fault moves
        to UnprocessedRecords, so a service that can (the reference emulator behind
        ``conformance client``) forgets it, as the service does with a record it leaves
        unprocessed; without it the record stays stored, as a lost answer leaves it."""
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._unstore = unstore

    def apply(self, fault: Fault, send: Callable[[], RawResponse]) -> RawResponse | None:
        """The answer to a request that meets ``fault``; ``send`` delivers the request and
        returns the service's answer (called at most once). None: the connection was reset
        (before ``send`` for ``reset-before``, after it for ``reset-after``). Side effects:
        sleeps for the fault's latency; whatever ``send`` does."""
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        answer: RawResponse | None
        if fault.blocking == "throttle":
            answer = _error(400, "ThrottlingException")
        elif fault.blocking == "internal":
            answer = _error(500, "InternalServiceErrorException")
        elif fault.blocking == "reset-before":
            answer = None
        else:
            answer = send()
            if fault.blocking == "reset-after":
                answer = None
            elif fault.unprocessed is not None and answer.status == 200:
                answer, lost = _lose_one(answer, fault.unprocessed)
                if lost is None:
                    fault = Fault(None, fault.latency_ms)
                elif self._unstore is not None and isinstance(lost.get("MeteringRecordId"), str):
                    self._unstore(lost["MeteringRecordId"])
        with self._lock:
            self._counts.update(fault.kinds)
        return answer

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far (kinds never injected left out)."""
        with self._lock:
            return dict(self._counts)


def _error(status: int, code: str) -> RawResponse:
    body = json.dumps({"__type": code, "message": f"{code} injected by the conformance harness"})
    return RawResponse(status, _JSON, body.encode())


def _lose_one(answer: RawResponse, which: int) -> tuple[RawResponse, dict[str, Any] | None]:
    """A BatchMeterUsage answer with one Success result (``which``, modulo their number) moved
    to UnprocessedRecords, and that result (None: there was none to move)."""
    try:
        body = json.loads(answer.body)
        results = body["Results"]
        succeeded = [i for i, r in enumerate(results) if r.get("Status") == "Success" and "UsageRecord" in r]
    except (ValueError, KeyError, TypeError, AttributeError):
        return answer, None
    if not succeeded:
        return answer, None
    lost: dict[str, Any] = results.pop(succeeded[which % len(succeeded)])
    body["UnprocessedRecords"] = [*body.get("UnprocessedRecords", []), lost["UsageRecord"]]
    return replace(answer, body=json.dumps(body).encode()), lost
