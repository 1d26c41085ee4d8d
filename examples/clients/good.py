"""A seller's metering job, written to bill every record exactly once under faults.

It meters the usage of six SaaS customers (two dimensions, this hour and the two before it:
36 records, BatchMeterUsage in batches of at most 25) and a container product's hourly vCPU
usage (MeterUsage). It runs against the world ``conformance client`` starts with:

    conformance client --faults 0.5 --seed 1 -- python examples/clients/good.py

What makes it exactly-once:
- every record is stamped once, when the usage is collected, and a retry sends it unchanged,
  so the service recognises a retry of a request it already recorded;
- throttling, 5xx answers and lost connections are retried, after a short exponential backoff
  with jitter;
- records a BatchMeterUsage answer lists in UnprocessedRecords are sent again;
- a record the service answered is never sent again.

The backoff here is short so a certification run is quick; a production job would start
higher. Each buggy variant beside it (``drops_unprocessed.py``, ``restamps_on_retry.py``,
``drops_throttled.py``, ``sums_on_retry.py``, ``batch_of_30.py``, ``backfills_7_hours.py``,
``retry_storm.py``) changes
one method or one setting.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

SAAS_PRODUCT = "prod-saas"
CONTAINER_PRODUCT = "prod-container"
CUSTOMERS = ["cust-acme", "cust-globex", "cust-initech", "cust-umbrella", "cust-hooli", "cust-stark"]
DIMENSIONS = ["users", "gb-stored"]
HOURS_BACK = 3
MAX_BATCH = 25
MAX_ATTEMPTS = 40
MAX_ROUNDS = 20
RETRYABLE_CODES = {"ThrottlingException", "InternalServiceErrorException"}


class Job:
    max_batch = MAX_BATCH
    retryable: ClassVar[set[str]] = RETRYABLE_CODES

    def __init__(self) -> None:
        # botocore's own retries are off: this job retries itself, with a shorter backoff
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=10)
        self.client = boto3.client("meteringmarketplace", config=config)
        self.collected_at = datetime.now(UTC)

    def saas_usage(self) -> list[dict[str, Any]]:
        """The records to meter, stamped once, at collection."""
        return [
            {
                "Timestamp": self.collected_at - timedelta(hours=age),
                "CustomerIdentifier": customer,
                "Dimension": dimension,
                "Quantity": 1 + (7 * i + 3 * d + age) % 40,
            }
            for age in range(HOURS_BACK)
            for i, customer in enumerate(CUSTOMERS)
            for d, dimension in enumerate(DIMENSIONS)
        ]

    def run(self) -> None:
        self.meter_saas(self.saas_usage())
        for age in range(HOURS_BACK):
            self.meter_container(self.collected_at - timedelta(hours=age), quantity=4 + age)

    def meter_saas(self, pending: list[dict[str, Any]]) -> None:
        for _ in range(MAX_ROUNDS):
            if not pending:
                return
            batch, pending = pending[: self.max_batch], pending[self.max_batch :]
            params = {"ProductCode": SAAS_PRODUCT, "UsageRecords": batch}
            answer = self.call(self.client.batch_meter_usage, params)
            for result in answer.get("Results", []):
                if result["Status"] not in ("Success", "DuplicateRecord"):
                    print(f"not billed: {result['UsageRecord']['CustomerIdentifier']} {result['Status']}")
            pending += self.unprocessed(answer)
        raise SystemExit(f"{len(pending)} records still unprocessed after {MAX_ROUNDS} rounds")

    def unprocessed(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        """Records to send again in a later batch, as they were."""
        return list(answer.get("UnprocessedRecords", []))

    def meter_container(self, timestamp: datetime, quantity: int) -> None:
        params = {
            "ProductCode": CONTAINER_PRODUCT,
            "Timestamp": timestamp,
            "UsageDimension": "vcpu-hours",
            "UsageQuantity": quantity,
        }
        try:
            self.call(self.client.meter_usage, params)
        except ClientError as error:
            if error.response["Error"]["Code"] != "DuplicateRequestException":
                raise
            print(f"already metered: vcpu-hours at {timestamp:%H}:00")  # another run billed this hour

    def call(self, operation: Callable[..., dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        """``operation(**params)``, retried on throttling, server errors and lost connections."""
        first = datetime.now(UTC)
        sent = params
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(self.backoff(attempt))
                sent = self.retry_params(params, first)
            try:
                return operation(**sent)
            except ClientError as error:
                code = error.response["Error"]["Code"]
                status = error.response["ResponseMetadata"].get("HTTPStatusCode", 0)
                if code not in self.retryable and status < 500:
                    return self.refused(error)
            except (ConnectionError, HTTPClientError):
                pass  # the request may or may not have been recorded: send the same one again
        raise SystemExit(f"gave up after {MAX_ATTEMPTS} attempts")

    def refused(self, error: ClientError) -> dict[str, Any]:
        """What a refusal the job does not retry does: here, it stops the job."""
        raise error

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt``: exponential, with "equal jitter" (at least
        half the ceiling, so never a resend at once after a throttle)."""
        ceiling = min(0.4, 0.025 * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def retry_params(self, params: dict[str, Any], first_attempt: datetime) -> dict[str, Any]:
        """What a retry sends: exactly what the first attempt sent."""
        return params


def main(job: type[Job] = Job) -> None:
    job().run()
    print("metered", file=sys.stderr)


if __name__ == "__main__":
    main()
