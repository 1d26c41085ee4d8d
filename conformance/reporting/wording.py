"""Mismatches in words: the one place a ``conformance.models.expect.Mismatch`` becomes text, for reports,
traces, replays and failures."""

from __future__ import annotations

from conformance.models.expect import Mismatch, Problem

__all__ = ["mismatch_text"]

# How each problem reads; the fields are the mismatch's (``first``/``second``: its ``records``)
_WORDING: dict[Problem, str] = {
    Problem.EXPECTED: "expected {expected}",
    Problem.VALUE: "{subject} {received}, expected {expected}",
    Problem.STATUS: "expected {expected}, got {received}",
    Problem.NO_ID: "no MeteringRecordId",
    Problem.NOT_BOUND: "MeteringRecordId {received}, not the bound {expected}",
    Problem.ID_TAKEN: "MeteringRecordId {received} already belongs to another record",
    Problem.ID_SHARED: (
        "record [{first}] shares MeteringRecordId {received} with record [{second}], a different record"
    ),
    Problem.ECHO_CHANGED: "{subject} {expected} echoed as {received}",
    Problem.COUNT: "{expected} records sent, {received} returned",
    Problem.NOT_ECHOED: "records {records} not echoed unchanged in Results or UnprocessedRecords",
    Problem.GROUP_HONOURED: (
        "records {records} share a key: {expected} quantity must be honoured, {received} were"
    ),
    Problem.GROUP_STATUS: "record [{first}] is identical to the honoured one but got {received}",
    Problem.GROUP_IDS: "identical records {records} got different MeteringRecordIds",
    Problem.POPULATED: "{subject} {received} populated for a product on concurrent agreements",
    Problem.NOT_JWT: "Signature is not a JWT: {detail}",
    Problem.SIGNATURE: "Signature does not verify with the public key of {subject} ({detail})",
    Problem.NOT_NEAR: "{subject} {received} is not near now ({expected})",
    Problem.NOT_JSON: "body is not a JSON object",
    Problem.OFF_SHAPE: "output does not match its shape: {detail}",
    Problem.ERROR_AS_SUCCESS: "200 with a body naming __type {received}: an error sent as success",
    Problem.NO_TYPE: "error body has no __type",
    Problem.UNKNOWN_ERROR: "__type {received} is not an error of {expected}",
    Problem.NO_MESSAGE: "error body has no message string",
    Problem.RECORDS: "the target's records disagree with the model: {detail}",
    Problem.TEXT: "{detail}",
    Problem.FORBIDDEN: "{received}, which is never the answer here: {detail}",
}


def mismatch_text(mismatch: Mismatch) -> str:
    """One mismatch in words: what reports, traces and failures say of it."""
    records = mismatch.records
    text = _WORDING[mismatch.problem].format(
        expected=mismatch.expected,
        received=mismatch.received,
        subject=mismatch.subject,
        detail=mismatch.detail,
        records=list(records),
        first=records[0] if records else None,
        second=records[1] if len(records) > 1 else None,
    )
    return text if mismatch.record is None else f"record [{mismatch.record}]: {text}"
