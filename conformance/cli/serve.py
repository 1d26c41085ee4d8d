"""``conformance serve`` and ``conformance proxy``: the reference emulator, and a fault proxy, on loopback."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from conformance.cli._common import EXIT_OK, Help, natural, port, profile_argument, rate
from conformance.emulator.server import Emulator
from conformance.faults import FaultProxy, FaultRates
from conformance.helptext import RATE_HELP
from conformance.targets import TargetSetupError, TargetUsageError, load_fixtures_file
from conformance.wire.service_model import model_for


def add_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the reference emulator on loopback", formatter_class=Help)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only by default)")
    serve.add_argument("--port", type=port, default=0, help="port (0: a free one)")
    profile_argument(serve)
    serve.add_argument(
        "--fixtures", type=Path, metavar="FILE", help="start with this world (control fixtures)"
    )
    serve.add_argument(
        "--no-control",
        action="store_true",
        help="serve no /_conformance routes: an implementation the harness can only send requests "
        "to, in the --fixtures world on the wall clock (how `run --target endpoint --fixtures` sees "
        "most implementations)",
    )
    serve.add_argument(
        "--write-fixtures",
        type=Path,
        metavar="FILE",
        help="write the served world to FILE with each product's public keys (`publicKeys`): the "
        "--fixtures of a run against it without control routes, so RegisterUsage signatures are "
        "verified",
    )
    serve.add_argument(
        "--validate-shapes-first",
        action="store_true",
        help="refuse every shape violation with ValidationException before any business rule, "
        "as a service generated from the Smithy model does (default: the specific rule's error)",
    )
    serve.set_defaults(handler=_serve)
    proxy = sub.add_parser(
        "proxy",
        help="a fault-injecting proxy on loopback in front of an HTTP target",
        description="Forward service requests to --upstream, injecting ThrottlingException, "
        "InternalServiceErrorException, connection resets before and after the target saw the "
        "request, latency, and batch records reported unprocessed, each at RATE per request, "
        "drawn from --seed. Control routes (/_conformance) pass untouched. Ctrl-C stops it and "
        "prints the faults injected.",
        formatter_class=Help,
    )
    proxy.add_argument("--upstream", required=True, metavar="URL", help="the target, http://host:port")
    proxy.add_argument("--faults", type=rate, default=0.4, metavar="RATE", help=RATE_HELP)
    proxy.add_argument("--seed", type=natural, default=0, help="the seed faults are drawn from")
    proxy.add_argument("--port", type=port, default=0, help="port on 127.0.0.1 (0: a free one)")
    proxy.set_defaults(handler=_proxy)


def _serve(args: argparse.Namespace) -> int:
    fixtures = load_fixtures_file(args.fixtures) if args.fixtures else None
    if args.write_fixtures is not None and fixtures is None:
        raise TargetUsageError("--write-fixtures needs --fixtures FILE: the world to serve")
    model = model_for(args.profile)
    try:
        emulator = Emulator(
            model,
            fixtures,
            args.host,
            args.port,
            shapes_first=args.validate_shapes_first,
            control=not args.no_control,
        )
    except OSError as exc:
        raise TargetSetupError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    if args.write_fixtures is not None:
        try:
            args.write_fixtures.write_text(json.dumps(emulator.served_with_keys(), indent=2) + "\n")
        except OSError as exc:
            emulator.server.server_close()
            raise TargetUsageError(f"--write-fixtures {args.write_fixtures}: {exc.strerror}") from None
    order = ", shapes validated first" if args.validate_shapes_first else ""
    order += ", no control routes" if args.no_control else ""
    print(f"conformance serve: listening on {emulator.url} (profile {args.profile}{order})", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.server.server_close()
    return EXIT_OK


def _proxy(args: argparse.Namespace) -> int:
    try:
        proxy = FaultProxy(args.upstream, FaultRates.spread(args.faults), args.seed, args.port)
    except ValueError as exc:
        raise TargetUsageError(f"--upstream {args.upstream}: {exc}; write it as http://host:port") from None
    except OSError as exc:
        raise TargetSetupError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    print(
        f"conformance proxy: listening on {proxy.url}, forwarding to {args.upstream}, "
        f"faults at {args.faults} (a request meets a fault with chance {args.faults}), seed {args.seed}",
        flush=True,
    )
    try:
        proxy.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.close()
        counts = proxy.counts()
        print("faults injected: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    return EXIT_OK
