"""The installed botocore service model of the Metering Service: the source of every shape
constraint the model, the strategies and the wire checks use."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore
import botocore.loaders

from models.model import Model
from models.profiles import get_profile
from models.shapes import ShapeIndex

__all__ = ["SERVICE_NAME", "botocore_version", "load_service_dict", "load_shapes", "model_for"]

SERVICE_NAME = "meteringmarketplace"


@cache
def load_service_dict() -> dict[str, Any]:
    """``service-2.json`` of the installed botocore, as a dict (read once per process)."""
    loader = botocore.loaders.Loader()
    return loader.load_service_model(SERVICE_NAME, "service-2")  # type: ignore[no-any-return]


@cache
def load_shapes() -> ShapeIndex:
    return ShapeIndex(load_service_dict())


def model_for(profile: str) -> Model:
    """The reference model of ``profile`` over the installed service model."""
    return Model(get_profile(profile), load_shapes())


def botocore_version() -> str:
    return str(botocore.__version__)
