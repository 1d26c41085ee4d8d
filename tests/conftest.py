from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from conformance.models import Fixtures, Model, ShapeIndex, World, get_profile
from conformance.wire.service_model import load_shapes

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)

WORLD_JSON: dict[str, list[dict[str, object]]] = {
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


AGENTCORE_CALLER = "AKIAAGENTCORE0000001"

# The 2026-11 additions: an agreement id, a product on concurrent agreements with its customer
# and token, a token for a customer without agreement id, and an AgentCore Runtime caller.
WORLD_2026_JSON = copy.deepcopy(WORLD_JSON)
WORLD_2026_JSON["products"].append(
    {"productCode": "prod-ca", "dimensions": ["users"], "concurrentAgreements": True}
)
WORLD_2026_JSON["customers"][0]["agreementId"] = "agmt-1"
WORLD_2026_JSON["customers"].append(
    {
        "customerIdentifier": "cust-ca",
        "customerAWSAccountId": "222233334444",
        "productCode": "prod-ca",
        "licenseArn": "arn:aws:license-manager::222233334444:license:l-ca",
        "agreementId": "agmt-ca",
    }
)
WORLD_2026_JSON["registrationTokens"] += [
    {"token": "tok-ca", "customerIdentifier": "cust-ca", "productCode": "prod-ca"},
    {"token": "tok-2", "customerIdentifier": "cust-2", "productCode": "prod-a"},
]
WORLD_2026_JSON["callers"].append(
    {"accessKeyId": AGENTCORE_CALLER, "productCode": "prod-a", "platform": "agentcore"}
)


@pytest.fixture(scope="session")
def shapes() -> ShapeIndex:
    """The 2025-01 profile's pinned service model."""
    return load_shapes("2025-01")


@pytest.fixture(scope="session")
def shapes26() -> ShapeIndex:
    return load_shapes("2026-11")


@pytest.fixture(scope="session")
def world() -> World:
    return World.of(Fixtures.from_json(WORLD_JSON))


@pytest.fixture(scope="session")
def model(shapes: ShapeIndex) -> Model:
    return Model(get_profile("2025-01"), shapes)


@pytest.fixture(scope="session")
def model26(shapes26: ShapeIndex) -> Model:
    return Model(get_profile("2026-11"), shapes26)
