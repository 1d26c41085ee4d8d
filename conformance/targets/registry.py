"""Every kind of target, one entry each: how it is made from the options, which options it
reads, what it needs installed, and what the harness can do with it. A new kind of target is
one entry here and its adapter module; the CLI, the pytest plugin, the engine and the benches
read these fields, never a list of names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conformance.models.model import Model
from conformance.models.world import Fixtures
from conformance.targets.base import Target, TargetOptions, TargetUsageError
from conformance.targets.reference import ReferenceTarget

__all__ = ["TARGETS", "TargetKind"]


@dataclass(frozen=True)
class TargetKind:
    """One kind of target. ``make(options, model, fixtures)`` builds it, not yet opened
    (``fixtures``: the ``--fixtures`` file's world, checked, or None).

    - ``reads_url`` / ``reads_fixtures``: it reads ``--endpoint-url`` / ``--fixtures`` (given to
      any other, they are refused: they would be silently ignored);
    - ``needs``: modules it imports, installed by the ``moto`` extra (none when given a URL
      and ``url_needs_nothing``: a server the user started);
    - ``faultable``: the harness can put faults in front of it (``--faults``, RETRY-CONVERGES);
    - ``threads``: it keeps up with requests from several threads (CONC-LINEARIZABLE);
    - ``shared``: every worker of a run would share it (campaigns then run one at a time,
      unless it announces scopes);
    - ``bills``: every record it takes is billed (``--allow-real-billing`` and ``--max-records``
      are its guards, and only its);
    - ``local``: it runs on this machine, started by the harness (the speed bench measures
      these);
    - ``check(options, fixtures)``: raises TargetUsageError for what it lacks to be made (a
      URL, the guards against billing)."""

    name: str
    make: Callable[[TargetOptions, Model, Fixtures | None], Target]
    reads_url: bool = False
    reads_fixtures: bool = False
    needs: tuple[str, ...] = ()
    url_needs_nothing: bool = False
    faultable: bool = False
    threads: bool = False
    shared: bool = False
    local: bool = False
    bills: bool = False
    check: Callable[[TargetOptions, Fixtures | None], None] = lambda options, fixtures: None


def _needs_url(options: TargetOptions, fixtures: Fixtures | None) -> None:
    if not options.endpoint_url:
        raise TargetUsageError(
            f"--target {options.name} needs --endpoint-url URL (e.g. http://127.0.0.1:8080)"
        )


def _guarded(options: TargetOptions, fixtures: Fixtures | None) -> None:
    """Real AWS bills every record: each guard is asked for by name."""
    if not options.allow_real_billing:
        raise TargetUsageError("--target aws sends billable usage; add --allow-real-billing to confirm")
    if fixtures is None:
        raise TargetUsageError(
            "--target aws needs --fixtures FILE naming your test product, customers and callers"
        )
    if not options.max_records or options.max_records < 1:
        raise TargetUsageError("--target aws needs --max-records N (the most usage records it may send)")


def _reference(options: TargetOptions, model: Model, fixtures: Fixtures | None) -> Target:
    return ReferenceTarget(model)


def _reference_server(options: TargetOptions, model: Model, fixtures: Fixtures | None) -> Target:
    from conformance.targets.reference_server import ReferenceServerTarget

    return ReferenceServerTarget(model, options.endpoint_url)


def _moto(options: TargetOptions, model: Model, fixtures: Fixtures | None) -> Target:
    from conformance.targets.moto import MotoTarget

    return MotoTarget(model.profile)


def _moto_server(options: TargetOptions, model: Model, fixtures: Fixtures | None) -> Target:
    from conformance.targets.moto_server import MotoServerTarget

    return MotoServerTarget(options.endpoint_url, model.profile)


def _endpoint(options: TargetOptions, model: Model, fixtures: Fixtures | None) -> Target:
    from conformance.targets.endpoint import EndpointTarget

    assert options.endpoint_url is not None  # check_options refused an endpoint without one
    return EndpointTarget(options.endpoint_url, fixtures, model.profile)


def _aws(options: TargetOptions, model: Model, fixtures: Fixtures | None) -> Target:
    from conformance.targets.aws import AwsTarget

    # check_options refused aws without its guards
    assert fixtures is not None and options.fixtures_file is not None and options.max_records
    file: Path = options.fixtures_file
    return AwsTarget(file, fixtures, options.max_records, options.endpoint_url, model.profile)


TARGETS: dict[str, TargetKind] = {
    kind.name: kind
    for kind in (
        TargetKind("reference", _reference, faultable=True, threads=True, local=True),
        TargetKind(
            "reference-server",
            _reference_server,
            reads_url=True,
            faultable=True,
            threads=True,
            local=True,
        ),
        TargetKind("moto", _moto, needs=("moto", "freezegun"), local=True),
        TargetKind(
            "moto-server",
            _moto_server,
            reads_url=True,
            needs=("moto", "flask"),
            url_needs_nothing=True,
            local=True,
        ),
        TargetKind(
            "endpoint",
            _endpoint,
            reads_url=True,
            reads_fixtures=True,
            faultable=True,
            threads=True,
            shared=True,
            check=_needs_url,
        ),
        TargetKind("aws", _aws, reads_url=True, reads_fixtures=True, shared=True, bills=True, check=_guarded),
    )
}
