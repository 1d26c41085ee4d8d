"""Eight clients at once against the emulator: no lost and no doubled records."""

from __future__ import annotations

import json
import random
import threading
import urllib.request
from collections import defaultdict

import boto3
import pytest
from botocore.config import Config

from conformance.emulator.server import Emulator
from conformance.models import Fixtures, from_epoch
from tests.conftest import WORLD_JSON

THREADS, REQUESTS = 8, 200
NOW = 1793620800.0
KEYS = [(c, d, NOW - 3600 * h) for c in ("cust-1", "cust-2") for d in ("users", "gb") for h in (1, 2, 3)]


@pytest.fixture
def emulator(model):
    server = Emulator(model, Fixtures.from_json(WORLD_JSON)).start()
    server.frozen = from_epoch(NOW)
    yield server
    server.close()


def test_conflicting_and_identical_batches_record_each_key_once(emulator):
    answers: list[tuple[tuple[str, str, float], int, str, str | None]] = []
    lock = threading.Lock()

    def client_thread(number: int) -> None:
        rng = random.Random(number)
        client = boto3.client(
            "meteringmarketplace", endpoint_url=emulator.url, region_name="us-east-1",
            aws_access_key_id=f"AKIASELLER{number:010d}", aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1}, max_pool_connections=2),
        )  # fmt: skip
        for _ in range(REQUESTS):
            key = rng.choice(KEYS)
            quantity = rng.choice([1, 2])  # the same key with another quantity conflicts
            record = {
                "CustomerIdentifier": key[0],
                "Dimension": key[1],
                "Timestamp": key[2],
                "Quantity": quantity,
            }
            result = client.batch_meter_usage(ProductCode="prod-a", UsageRecords=[record])["Results"][0]
            with lock:
                answers.append((key, quantity, result["Status"], result.get("MeteringRecordId")))

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == THREADS * REQUESTS
    with urllib.request.urlopen(f"{emulator.url}/_conformance/records") as response:
        recorded = json.loads(response.read())["records"]
    by_key = defaultdict(list)
    for record in recorded:
        by_key[(record["customerIdentifier"], record["dimension"], record["timestamp"])].append(record)
    assert set(by_key) == set(KEYS)
    assert all(len(records) == 1 for records in by_key.values())  # never lost, never doubled
    for key, quantity, status, record_id in answers:
        (stored,) = by_key[key]
        if quantity == stored["quantity"]:
            assert (status, record_id) == ("Success", stored["meteringRecordId"])  # identical: same id
        else:
            assert status == "DuplicateRecord"
