"""The service models of the Metering Service: each profile's pinned snapshot, and the one the
installed botocore carries.

A profile's shapes, limits, patterns, required members and errors come from the snapshot of
botocore's ``service-2.json`` shipped in ``conformance/wire/service_models/`` for that profile's
date, never from the installed botocore: an upgrade of boto3 must not change a verdict. The
installed model is read only to compare it with a snapshot (``conformance drift``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders

from conformance.models.model import Model
from conformance.models.profiles import get_profile
from conformance.models.shapes import ShapeIndex

__all__ = [
    "SERVICE_NAME",
    "botocore_version",
    "installed_service_dict",
    "load_service_dict",
    "load_shapes",
    "model_for",
    "snapshot_dir",
    "snapshot_path",
]

SERVICE_NAME = "meteringmarketplace"
API_VERSION = "2016-01-14"


def snapshot_dir(profile: str) -> Path:
    """The botocore data directory of the profile's snapshot: it holds
    ``meteringmarketplace/2016-01-14/service-2.json``, so a boto3 client can load it."""
    name = get_profile(profile).service_model
    return Path(str(resources.files("conformance.wire").joinpath("service_models", name)))


def snapshot_path(profile: str) -> Path:
    """The shipped ``service-2.json`` a profile is pinned to."""
    return snapshot_dir(profile) / SERVICE_NAME / API_VERSION / "service-2.json"


@cache
def load_service_dict(profile: str) -> dict[str, Any]:
    """The profile's pinned service model, as a dict (read once per process)."""
    with snapshot_path(profile).open(encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


@cache
def load_shapes(profile: str) -> ShapeIndex:
    return ShapeIndex(load_service_dict(profile))


@cache
def model_for(profile: str) -> Model:
    """The reference model of ``profile`` over the profile's pinned service model."""
    return Model(get_profile(profile), load_shapes(profile))


def installed_service_dict() -> dict[str, Any]:
    """``service-2.json`` of the installed botocore (never a source of verdicts)."""
    loader = botocore.loaders.Loader()
    return loader.load_service_model(SERVICE_NAME, "service-2")  # type: ignore[no-any-return]


def botocore_version() -> str:
    return str(botocore.__version__)
