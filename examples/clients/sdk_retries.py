"""A seller's metering job that leaves retrying to the SDK: botocore's ``standard`` retry mode,
8 attempts a call, and nothing of its own but resending what a batch answer lists in
UnprocessedRecords.

When every attempt of a call meets a fault, botocore gives up and the job exits non-zero, as
a job should that could not finish. Its scheduler starts it again (``conformance client``
reruns it, ``--reruns``), and the rerun must bill what is missing and nothing twice. So the
job's input is fixed before it sends anything: the usage it collects is written to its state
directory (``$CONFORMANCE_RUN_DIR``, else the working directory) on the first start and read
back by a rerun, stamps and all; a record the service already holds comes back as a
duplicate, and a MeterUsage the service already recorded returns the same record id.

    conformance client --faults 0.2 --seed 1 -- python examples/clients/sdk_retries.py
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

SAAS_PRODUCT = "prod-saas"
CONTAINER_PRODUCT = "prod-container"
CUSTOMERS = ["cust-acme", "cust-globex", "cust-initech", "cust-umbrella", "cust-hooli", "cust-stark"]
DIMENSIONS = ["users", "gb-stored"]
HOURS_BACK = 2
MAX_BATCH = 25
MAX_ROUNDS = 10


def collected(state: Path) -> dict[str, Any]:
    """The usage this job meters: collected on the first start, read back on a rerun."""
    path = state / "usage.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    now = datetime.now(UTC)
    usage = {
        "records": [
            {
                "Timestamp": (now - timedelta(hours=age)).timestamp(),
                "CustomerIdentifier": customer,
                "Dimension": dimension,
                "Quantity": 1 + (5 * i + 3 * d + age) % 30,
            }
            for age in range(HOURS_BACK)
            for i, customer in enumerate(CUSTOMERS)
            for d, dimension in enumerate(DIMENSIONS)
        ],
        "container": [
            {"Timestamp": (now - timedelta(hours=age)).timestamp(), "Quantity": 2 + age}
            for age in range(HOURS_BACK)
        ],
    }
    path.write_text(json.dumps(usage))
    return usage


def main() -> None:
    state = Path(os.environ.get("CONFORMANCE_RUN_DIR", "."))
    usage = collected(state)
    config = Config(retries={"mode": "standard", "total_max_attempts": 8}, connect_timeout=5, read_timeout=10)
    client = boto3.client("meteringmarketplace", config=config)
    pending = [{**r, "Timestamp": datetime.fromtimestamp(r["Timestamp"], UTC)} for r in usage["records"]]
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        batch, pending = pending[:MAX_BATCH], pending[MAX_BATCH:]
        answer = client.batch_meter_usage(ProductCode=SAAS_PRODUCT, UsageRecords=batch)
        pending += answer.get("UnprocessedRecords", [])
    else:
        sys.exit(f"{len(pending)} records still unprocessed")
    for hour in usage["container"]:
        client.meter_usage(
            ProductCode=CONTAINER_PRODUCT,
            Timestamp=datetime.fromtimestamp(hour["Timestamp"], UTC),
            UsageDimension="vcpu-hours",
            UsageQuantity=hour["Quantity"],
        )
    print("metered", file=sys.stderr)


if __name__ == "__main__":
    main()
