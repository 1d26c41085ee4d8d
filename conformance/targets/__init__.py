"""Targets: implementations of the Metering Service the harness can judge.

An adapter opens, resets, invokes and closes; it holds no rules. Service errors come back as
outcomes, transport failures as indeterminate outcomes; an adapter never raises for either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from conformance.faults import FaultRates
from conformance.models.model import Model
from conformance.models.world import FixtureError, Fixtures
from conformance.targets.base import CAPABILITIES, Target, TargetSetupError, fault_target
from conformance.targets.reference import ReferenceTarget
from conformance.wire.schemas import SchemaError, read_json, validate

__all__ = [
    "CAPABILITIES",
    "FAULTABLE",
    "TARGET_NAMES",
    "ReferenceTarget",
    "Target",
    "TargetOptions",
    "TargetSetupError",
    "TargetUsageError",
    "check_options",
    "load_fixtures_file",
    "make_target",
]

TARGET_NAMES = ("reference", "reference-server", "moto", "moto-server", "endpoint", "aws")


class TargetUsageError(ValueError):
    """The options do not make a usable target (exit code 2); one line says how to fix them."""


@dataclass(frozen=True)
class TargetOptions:
    """What the command line (or the pytest plugin, or a replay) says about the target."""

    name: str
    endpoint_url: str | None = None
    fixtures_file: Path | None = None
    allow_real_billing: bool = False
    max_records: int | None = None
    faults: float = 0.0  # --faults RATE (FaultRates.spread), injected between harness and target
    fault_seed: int = 0


def load_fixtures_file(path: Path) -> Fixtures:
    """A ``--fixtures`` file, checked against ``schemas/fixtures.schema.json``."""
    try:
        data = read_json(path)
    except ValueError as exc:
        raise TargetUsageError(f"--fixtures {path}: {exc}") from None
    try:
        validate("fixtures", data)
        return Fixtures.from_json(data)
    except (SchemaError, FixtureError) as exc:
        raise TargetUsageError(f"--fixtures {path}: {exc}") from None


def make_target(options: TargetOptions, model: Model) -> Target:
    """The adapter ``options`` name, not yet opened, injecting faults at ``options.faults``.
    Raises TargetUsageError for options that cannot work (a missing URL, a missing guard for
    ``aws``, faults in front of a target that cannot meet them)."""
    target = _target(options, model)
    faulty = fault_target(target)
    if options.faults and faulty is not None:  # _target refused faults for any other target
        faulty.set_faults(FaultRates.spread(options.faults), options.fault_seed)
    return target


def check_options(options: TargetOptions) -> Fixtures | None:
    """The world of ``options.fixtures_file`` (None without one), once ``options`` are shown to
    make a target: raises TargetUsageError for a bad URL or fixture file, faults in front of a
    target that cannot meet them, or a missing option (a URL for ``endpoint``, the guards of
    ``aws``). Opens nothing."""
    name = options.name
    url = options.endpoint_url
    if name not in TARGET_NAMES:
        raise TargetUsageError(f"unknown target {name!r}; use one of {', '.join(TARGET_NAMES)}")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise TargetUsageError(
            f"--endpoint-url {url} is not an http:// or https:// URL; write it as http://{url.split('://')[-1]}"
        )
    fixtures = load_fixtures_file(options.fixtures_file) if options.fixtures_file else None
    if options.faults and name not in FAULTABLE:
        raise TargetUsageError(
            f"--faults needs a target the harness puts faults in front of ({', '.join(FAULTABLE)}), "
            f"not {name}"
        )
    if name == "endpoint" and not url:
        raise TargetUsageError("--target endpoint needs --endpoint-url URL (e.g. http://127.0.0.1:8080)")
    if name == "aws":
        if not options.allow_real_billing:
            raise TargetUsageError("--target aws sends billable usage; add --allow-real-billing to confirm")
        if fixtures is None:
            raise TargetUsageError(
                "--target aws needs --fixtures FILE naming your test product, customers and callers"
            )
        if not options.max_records or options.max_records < 1:
            raise TargetUsageError("--target aws needs --max-records N (the most usage records it may send)")
    return fixtures


def _target(options: TargetOptions, model: Model) -> Target:
    name = options.name
    fixtures = check_options(options)
    if name == "reference":
        return ReferenceTarget(model)
    if name == "moto":
        from conformance.targets.moto import MotoTarget

        return MotoTarget(model.profile.name)
    if name == "moto-server":
        from conformance.targets.moto_server import MotoServerTarget

        return MotoServerTarget(options.endpoint_url, model.profile.name)
    if name == "endpoint":
        from conformance.targets.endpoint import EndpointTarget

        assert options.endpoint_url is not None
        return EndpointTarget(options.endpoint_url, fixtures, model.profile.name)
    if name == "reference-server":
        from conformance.targets.reference_server import ReferenceServerTarget

        return ReferenceServerTarget(model, options.endpoint_url)
    from conformance.targets.aws import AwsTarget

    assert fixtures is not None and options.fixtures_file is not None and options.max_records
    profile = model.profile.name
    return AwsTarget(options.fixtures_file, fixtures, options.max_records, options.endpoint_url, profile)


# the targets the harness injects faults in front of: in process, or through a fault proxy
FAULTABLE = ("reference", "reference-server", "endpoint")
