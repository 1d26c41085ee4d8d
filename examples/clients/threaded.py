"""A seller's metering job that sends its customers' batches from a thread pool, on botocore's
``adaptive`` retry mode (8 attempts a call, client-side rate limiting).

Each customer's usage is one batch, sent from one of four threads, so the order of requests
changes from run to run. The usage is collected once and kept in the job's state directory
(``$CONFORMANCE_RUN_DIR``, else the working directory), so a rerun after a give-up sends the
same records again; records listed in UnprocessedRecords are sent again by the same thread.

    conformance client --faults 0.2 --seed 1 -- python examples/clients/threaded.py
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

PRODUCT = "prod-saas"
CUSTOMERS = ["cust-acme", "cust-globex", "cust-initech", "cust-umbrella", "cust-hooli", "cust-stark"]
DIMENSIONS = ["users", "gb-stored"]
HOURS_BACK = 2
THREADS = 4
MAX_ROUNDS = 10


def collected(state: Path) -> dict[str, list[dict[str, Any]]]:
    """Each customer's records: collected on the first start, read back on a rerun."""
    path = state / "usage.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    now = datetime.now(UTC)
    usage = {
        customer: [
            {
                "Timestamp": (now - timedelta(hours=age)).timestamp(),
                "CustomerIdentifier": customer,
                "Dimension": dimension,
                "Quantity": 1 + (3 * i + 5 * d + age) % 17,
            }
            for age in range(HOURS_BACK)
            for d, dimension in enumerate(DIMENSIONS)
        ]
        for i, customer in enumerate(CUSTOMERS)
    }
    path.write_text(json.dumps(usage))
    return usage


def meter(client: Any, records: list[dict[str, Any]]) -> None:
    pending = [{**r, "Timestamp": datetime.fromtimestamp(r["Timestamp"], UTC)} for r in records]
    for _ in range(MAX_ROUNDS):
        if not pending:
            return
        answer = client.batch_meter_usage(ProductCode=PRODUCT, UsageRecords=pending)
        pending = answer.get("UnprocessedRecords", [])
    raise RuntimeError(f"{len(pending)} records still unprocessed")


def main() -> None:
    usage = collected(Path(os.environ.get("CONFORMANCE_RUN_DIR", ".")))
    config = Config(retries={"mode": "adaptive", "total_max_attempts": 8}, connect_timeout=5, read_timeout=10)
    client = boto3.client("meteringmarketplace", config=config)  # a boto3 client is thread-safe
    with ThreadPoolExecutor(THREADS) as pool:
        for done in [pool.submit(meter, client, records) for records in usage.values()]:
            done.result()  # a give-up in any thread fails the job
    print("metered", file=sys.stderr)


if __name__ == "__main__":
    main()
