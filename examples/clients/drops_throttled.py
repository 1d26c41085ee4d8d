"""good.py with a bug of queue-driven metering code (metering-sqs.js marks throttled usage
failed for good): a ThrottlingException is not retried, and the batch it refused is dropped
with a log line, so that usage is never billed.

    conformance client --seed 1 -- python examples/clients/drops_throttled.py

fails CLIENT-RETRY-FAILED and CLIENT-EXACTLY-ONCE with a one-fault schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import good
from botocore.exceptions import ClientError


class DropsThrottled(good.Job):
    retryable: ClassVar[set[str]] = {"InternalServiceErrorException"}  # the bug: a throttle is final

    def call(self, operation: Callable[..., dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().call(operation, params)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ThrottlingException":
                raise
            print("throttled: dropping the request")
            return {}


if __name__ == "__main__":
    good.main(DropsThrottled)
