"""The service on the wire: the awsJson1_1 codec, the checks every raw response gets, the pinned
service models and the JSON Schemas derived from them, and drift against the installed botocore.

The bottom layer of ``conformance``: it imports ``models`` and nothing else of this package.
"""

from conformance.wire.check import check_response
from conformance.wire.protocol import (
    CONTENT_TYPE,
    SCOPE_HEADER,
    caller_of,
    decode_outcome,
    decode_request,
    encode_outcome,
    encode_request,
)
from conformance.wire.service_model import load_service_dict, load_shapes, model_for

__all__ = [
    "CONTENT_TYPE",
    "SCOPE_HEADER",
    "caller_of",
    "check_response",
    "decode_outcome",
    "decode_request",
    "encode_outcome",
    "encode_request",
    "load_service_dict",
    "load_shapes",
    "model_for",
]
