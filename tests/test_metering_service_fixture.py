"""The ``metering_service`` fixture, as a seller's own tests use it: their code finds the
service through the environment, under faults, on a clock the test can move."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from conformance.faults import Fault, RequestFaults

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "clients"))

import drops_unprocessed
import good


def test_the_readme_example(metering_service):
    good.Job().run()  # boto3 finds the service through the environment
    expected = metering_service.billed()
    metering_service.reset()
    metering_service.faults(0.5, seed=1)
    good.Job().run()
    assert metering_service.billed() == expected  # nothing lost, nothing billed twice
    metering_service.check()  # the CLIENT-* rules, on what the job sent
    assert sum(metering_service.fault_counts().values()) > 0
    assert sum(expected.values()) == 39


def test_check_names_the_rule_a_buggy_job_breaks(metering_service):
    metering_service.use(RequestFaults({1: Fault(unprocessed=0)}))  # the first batch loses a record
    drops_unprocessed.DropsUnprocessed().run()
    with pytest.raises(AssertionError, match="CLIENT-RETRY-UNPROCESSED") as raised:
        metering_service.check()
    assert "Expected: " in str(raised.value) and "Received: it was never sent again" in str(raised.value)


def test_reading_the_log_does_not_hide_a_broken_rule_from_check(metering_service):
    metering_service.use(RequestFaults({1: Fault(unprocessed=0)}))
    drops_unprocessed.DropsUnprocessed().run()
    assert metering_service.log() == metering_service.log() != []
    with pytest.raises(AssertionError, match="CLIENT-RETRY-UNPROCESSED"):
        metering_service.check()


def test_the_environment_reaches_the_service_and_nothing_real(metering_service):
    assert os.environ["AWS_ENDPOINT_URL_MARKETPLACE_METERING"] == metering_service.endpoint_url
    assert "AWS_PROFILE" not in os.environ and "AWS_SESSION_TOKEN" not in os.environ
    assert metering_service.env["AWS_ACCESS_KEY_ID"].startswith("AKIA")
    client = boto3.client("meteringmarketplace")
    assert client.meta.endpoint_url == metering_service.endpoint_url


def test_each_test_starts_with_no_records(metering_service):
    assert metering_service.records() == [] and metering_service.log() == []


def test_the_clock_judges_the_window(metering_service):
    metering_service.clock.set(datetime.now(UTC) + timedelta(hours=7))  # the job's usage is 7 hours old
    with pytest.raises(ClientError, match="TimestampOutOfBoundsException"):
        good.Job().run()  # a refusal is no fault to retry: the job stops
    with pytest.raises(AssertionError, match="CLIENT-WINDOW"):
        metering_service.check()


def test_fixtures_add_to_the_world(metering_service):
    client = boto3.client("meteringmarketplace")
    with pytest.raises(client.exceptions.InvalidProductCodeException):
        client.meter_usage(
            ProductCode="prod-new", Timestamp=datetime.now(UTC), UsageDimension="d", UsageQuantity=1
        )
    metering_service.fixtures({"products": [{"productCode": "prod-new", "dimensions": ["d"]}]})
    answer = client.meter_usage(
        ProductCode="prod-new", Timestamp=datetime.now(UTC), UsageDimension="d", UsageQuantity=1
    )
    assert [r.metering_record_id for r in metering_service.records()] == [answer["MeteringRecordId"]]
