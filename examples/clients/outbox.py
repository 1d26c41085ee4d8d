"""A seller's metering job with a local outbox: usage is written to SQLite when it is
collected, each row stamped then, and a row is marked sent only when the service answered it
(Success, or DuplicateRecord: it holds the record already). Whatever is unsent is sent again,
with the timestamp it was stored with, by this start or the next.

botocore's standard mode retries each call (8 attempts); when it gives up the job exits 1,
and the rerun (``conformance client --reruns``) finds the unsent rows still in the outbox, which
lives in the run's state directory (``$CONFORMANCE_RUN_DIR``, else the working directory).

    conformance client --faults 0.2 --seed 1 -- python examples/clients/outbox.py
"""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from botocore.config import Config

PRODUCT = "prod-saas"
CUSTOMERS = ["cust-acme", "cust-globex", "cust-initech", "cust-umbrella"]
DIMENSIONS = ["users", "gb-stored"]
HOURS_BACK = 2
MAX_BATCH = 25
MAX_ROUNDS = 10


def outbox(state: Path) -> sqlite3.Connection:
    """The outbox, filled with this run's usage on the first start."""
    db = sqlite3.connect(state / "outbox.db")
    db.execute(
        "CREATE TABLE IF NOT EXISTS usage (timestamp REAL, customer TEXT, dimension TEXT,"
        " quantity INTEGER, sent INTEGER DEFAULT 0, PRIMARY KEY (timestamp, customer, dimension))"
    )
    if db.execute("SELECT COUNT(*) FROM usage").fetchone()[0] == 0:
        now = datetime.now(UTC)
        rows = [
            ((now - timedelta(hours=age)).timestamp(), customer, dimension, 1 + (2 * i + 7 * d + age) % 23)
            for age in range(HOURS_BACK)
            for i, customer in enumerate(CUSTOMERS)
            for d, dimension in enumerate(DIMENSIONS)
        ]
        db.executemany(
            "INSERT INTO usage (timestamp, customer, dimension, quantity) VALUES (?, ?, ?, ?)", rows
        )
        db.commit()
    return db


def main() -> None:
    db = outbox(Path(os.environ.get("CONFORMANCE_RUN_DIR", ".")))
    config = Config(retries={"mode": "standard", "total_max_attempts": 8}, connect_timeout=5, read_timeout=10)
    client = boto3.client("meteringmarketplace", config=config)
    for _ in range(MAX_ROUNDS):
        unsent = db.execute(
            "SELECT timestamp, customer, dimension, quantity FROM usage WHERE sent = 0 LIMIT ?", (MAX_BATCH,)
        ).fetchall()
        if not unsent:
            print("metered", file=sys.stderr)
            return
        records = [
            {
                "Timestamp": datetime.fromtimestamp(timestamp, UTC),
                "CustomerIdentifier": customer,
                "Dimension": dimension,
                "Quantity": quantity,
            }
            for timestamp, customer, dimension, quantity in unsent
        ]
        answer = client.batch_meter_usage(ProductCode=PRODUCT, UsageRecords=records)
        for result in answer.get("Results", []):
            if result["Status"] in ("Success", "DuplicateRecord"):
                record = result["UsageRecord"]
                db.execute(
                    "UPDATE usage SET sent = 1 WHERE customer = ? AND dimension = ? AND timestamp = ?",
                    (record["CustomerIdentifier"], record["Dimension"], record["Timestamp"].timestamp()),
                )
        db.commit()  # rows listed unprocessed stay unsent, for the next round
    sys.exit("usage still unsent")


if __name__ == "__main__":
    main()
