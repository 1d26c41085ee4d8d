from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conformance.service_model import load_shapes
from models import Fixtures, Model, ShapeIndex, World, get_profile

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)

WORLD_JSON = {
    "products": [
        {"productCode": "prod-a", "dimensions": ["users", "gb"], "publicKeyVersions": [1, 2]},
        {"productCode": "prod-b", "dimensions": ["users"], "publicKeyVersions": [1]},
    ],
    "customers": [
        {
            "customerIdentifier": "cust-1",
            "customerAWSAccountId": "111122223333",
            "productCode": "prod-a",
            "subscribed": True,
            "licenseArn": "arn:aws:license-manager::111122223333:license:l-0123456789abcdef",
        },
        {
            "customerIdentifier": "cust-2",
            "customerAWSAccountId": "444455556666",
            "productCode": "prod-a",
            "subscribed": True,
        },
        {
            "customerIdentifier": "cust-off",
            "customerAWSAccountId": "777788889999",
            "productCode": "prod-a",
            "subscribed": False,
        },
        {
            "customerIdentifier": "cust-1",
            "customerAWSAccountId": "111122223333",
            "productCode": "prod-b",
            "subscribed": True,
        },
    ],
    "registrationTokens": [
        {"token": "tok-1", "customerIdentifier": "cust-1", "productCode": "prod-a", "state": "valid"},
        {"token": "tok-old", "customerIdentifier": "cust-2", "productCode": "prod-a", "state": "expired"},
    ],
    "callers": [
        {
            "accessKeyId": "AKIAENTITLED00000001",
            "productCode": "prod-a",
            "entitled": True,
            "platform": "ecs",
            "region": "us-east-1",
        },
        {
            "accessKeyId": "AKIAENTITLED00000002",
            "productCode": "prod-a",
            "entitled": True,
            "platform": "eks",
            "region": "us-east-1",
        },
        {
            "accessKeyId": "AKIANOTENTITLED00001",
            "productCode": "prod-a",
            "entitled": False,
            "platform": "ecs",
            "region": "us-east-1",
        },
        {
            "accessKeyId": "AKIAUNSUPPORTED00001",
            "productCode": "prod-a",
            "entitled": True,
            "platform": "lambda",
            "region": "us-east-1",
        },
        {
            "accessKeyId": "AKIAOTHERREGION00001",
            "productCode": "prod-a",
            "entitled": True,
            "platform": "ecs",
            "region": "eu-west-1",
        },
    ],
}


@pytest.fixture(scope="session")
def shapes() -> ShapeIndex:
    return load_shapes()


@pytest.fixture(scope="session")
def world() -> World:
    return World.of(Fixtures.from_json(WORLD_JSON))


@pytest.fixture(scope="session")
def model(shapes: ShapeIndex) -> Model:
    return Model(get_profile("2025-01"), shapes)


@pytest.fixture(scope="session")
def model26(shapes: ShapeIndex) -> Model:
    return Model(get_profile("2026-11"), shapes)
