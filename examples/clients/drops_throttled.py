"""good.py with a bug of queue-driven metering code (metering-sqs.js marks throttled usage
failed for good): a ThrottlingException is not retried, and the batch it refused is dropped
with a log line, so that usage is never billed.

    conformance client --seed 1 -- python examples/clients/drops_throttled.py

fails CLIENT-RETRY-FAILED and CLIENT-EXACTLY-ONCE with a one-fault schedule.
"""

from __future__ import annotations

from typing import Any, ClassVar

import good
from botocore.exceptions import ClientError


class DropsThrottled(good.Job):
    retryable: ClassVar[set[str]] = {"InternalServiceErrorException"}  # the bug: a throttle is final

    def refused(self, error: ClientError) -> dict[str, Any]:
        if error.response["Error"]["Code"] != "ThrottlingException":
            raise error
        print("throttled: dropping the request")
        return {}


if __name__ == "__main__":
    good.main(DropsThrottled)
