"""A container product's metering task: an ECS task of prod-container that meters its own vCPU
hours with MeterUsage, signed with its task role (here, the access key ``conformance client``
gives it), each hour once, retried by botocore's standard mode.

    conformance client --fixtures examples/clients/container-world.json \\
        --caller AKIACONTAINERTASK001 -- python examples/clients/container.py

The fixtures declare the task as an entitled caller of prod-container on ECS in us-east-1, so
the service judges its MeterUsage as it would that workload's. Its usage is kept in
``$CONFORMANCE_RUN_DIR`` so a rerun after a give-up meters the same hours, which the service
answers with the record ids it gave.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from botocore.config import Config

PRODUCT = "prod-container"
HOURS_BACK = 3


def hours(state: Path) -> list[dict[str, float]]:
    path = state / "vcpu-hours.json"
    if path.exists():
        return list(json.loads(path.read_text()))
    now = datetime.now(UTC)
    usage = [
        {"Timestamp": (now - timedelta(hours=age)).timestamp(), "Quantity": 2 + age}
        for age in range(HOURS_BACK)
    ]
    path.write_text(json.dumps(usage))
    return usage


def main() -> None:
    config = Config(retries={"mode": "standard", "total_max_attempts": 8}, connect_timeout=5, read_timeout=10)
    client = boto3.client("meteringmarketplace", config=config)
    for hour in hours(Path(os.environ.get("CONFORMANCE_RUN_DIR", "."))):
        client.meter_usage(
            ProductCode=PRODUCT,
            Timestamp=datetime.fromtimestamp(hour["Timestamp"], UTC),
            UsageDimension="vcpu-hours",
            UsageQuantity=int(hour["Quantity"]),
        )
    print("metered", file=sys.stderr)


if __name__ == "__main__":
    main()
