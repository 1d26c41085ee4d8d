"""Targets: implementations of the Metering Service the harness can judge.

An adapter opens, resets, invokes and closes; it holds no rules. Service errors come back as
outcomes, transport failures as indeterminate outcomes; an adapter never raises for either.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from conformance.models.model import Model
from conformance.models.world import FixtureError, Fixtures
from conformance.targets.base import CAPABILITIES, Target, TargetOptions, TargetSetupError, TargetUsageError
from conformance.targets.reference import ReferenceTarget
from conformance.targets.registry import TARGETS, TargetKind
from conformance.wire.schemas import SchemaError, read_json, validate

__all__ = [
    "CAPABILITIES",
    "FAULTABLE",
    "TARGETS",
    "TARGET_NAMES",
    "ReferenceTarget",
    "Target",
    "TargetKind",
    "TargetOptions",
    "TargetSetupError",
    "TargetUsageError",
    "check_faults",
    "check_options",
    "load_fixtures_file",
    "make_target",
]

TARGET_NAMES = tuple(TARGETS)


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
    """The adapter ``options`` name, not yet opened (faults are set on it per campaign). Raises
    TargetUsageError for options that cannot work (a missing URL, a missing guard for ``aws``)."""
    return _target(options, model)


def check_faults(target: str, rate: float) -> None:
    """Raise TargetUsageError when faults at ``rate`` are asked of a target the harness cannot
    put faults in front of."""
    if rate and target not in FAULTABLE:
        raise TargetUsageError(
            f"--faults needs a target the harness puts faults in front of ({', '.join(FAULTABLE)}), "
            f"not {target}"
        )


def check_options(options: TargetOptions) -> Fixtures | None:
    """The world of ``options.fixtures_file`` (None without one), once ``options`` are shown to
    make a target: raises TargetUsageError for a bad URL or fixture file, or a missing option
    (a URL for ``endpoint``, the guards of ``aws``). Opens nothing."""
    name = options.name
    url = options.endpoint_url
    if name not in TARGET_NAMES:
        raise TargetUsageError(f"unknown target {name!r}; use one of {', '.join(TARGET_NAMES)}")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise TargetUsageError(
            f"--endpoint-url {url} is not an http:// or https:// URL; write it as http://{url.split('://')[-1]}"
        )
    fixtures = load_fixtures_file(options.fixtures_file) if options.fixtures_file else None
    TARGETS[name].check(options, fixtures)
    return fixtures


def _target(options: TargetOptions, model: Model) -> Target:
    fixtures = check_options(options)
    return TARGETS[options.name].make(options, model, fixtures)


# the targets the harness injects faults in front of: in process, or through a fault proxy
FAULTABLE = tuple(name for name, kind in TARGETS.items() if kind.faultable)
