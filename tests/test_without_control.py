"""An implementation that does not speak the control protocol (most of those a user certifies):
the world is what ``--fixtures`` declares, nothing is reset, the clock is the wall clock. The
reference emulator with its control routes switched off stands in for one."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from freezegun import freeze_time

from conformance.cli import main
from conformance.emulator.server import Emulator
from conformance.lab.mutants import MUTANTS
from conformance.models import Fixtures
from conformance.targets import load_fixtures_file
from conformance.wire.service_model import model_for

ROOT = Path(__file__).resolve().parents[1]
WORLD = ROOT / "examples" / "world.json"


def _served(profile: str, **kwargs: object) -> Emulator:
    fixtures = Fixtures.from_json(json.loads(WORLD.read_text()))
    return Emulator(model_for(profile), fixtures, control=False, **kwargs).start()  # type: ignore[arg-type]


def test_serve_no_control_answers_no_control_route_and_writes_its_keys(tmp_path):
    written = tmp_path / "served.json"
    argv = ["serve", "--no-control", "--fixtures", str(WORLD), "--write-fixtures", str(written)]
    server = subprocess.Popen(
        [sys.executable, "-m", "conformance", *argv],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()
        assert "no control routes" in line
        url = line.split("listening on ", 1)[1].split(" ", 1)[0]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/_conformance", timeout=10)
        assert refused.value.code == 404
        served = load_fixtures_file(written)  # checked against the fixtures schema
        assert served.callers == Fixtures.from_json(json.loads(WORLD.read_text())).callers
        for product in served.products:
            assert [v for v, _ in product.public_keys] == sorted(product.public_key_versions)
            assert all(pem.startswith("-----BEGIN PUBLIC KEY-----") for _, pem in product.public_keys)
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.parametrize(("profile", "decided"), [("2025-01", 30), ("2026-11", 30)])
def test_a_correct_implementation_without_control_gets_a_verdict_for_every_rule(
    profile, decided, tmp_path, capsys
):
    """With examples/world.json every rule passes or is untestable with a reason; none crashes."""
    server = _served(profile)
    try:
        argv = ["run", "--target", "endpoint", "--endpoint-url", server.url, "--fixtures", str(WORLD),
                "--profile", profile, "--budget", "quick", "--seed", "1",
                "--report", str(tmp_path)]  # fmt: skip
        code = main(argv)
    finally:
        server.close()
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    rules = json.loads((tmp_path / "report.json").read_text())["rules"]
    assert {r["verdict"] for r in rules} <= {"pass", "untestable"}, [
        r for r in rules if r["verdict"] != "pass"
    ]
    assert code == 0
    assert all(r["reason"] for r in rules if r["verdict"] == "untestable")
    assert sum(r["verdict"] == "pass" for r in rules) >= decided


@pytest.mark.parametrize(
    ("mutant", "rule"),
    [
        ("twenty-six-records", "BMU-SIZE-LIMIT"),  # a batch of 26 accepted
        ("batch-window-hour-long", "BMU-WINDOW"),  # a 6- to 7-hour-old timestamp accepted
        ("duplicate-recorded", "BMU-DUPLICATE"),  # a conflicting record of a recorded key accepted
    ],
)
def test_a_seeded_bug_fails_without_control(mutant, rule, tmp_path, capsys):
    """The rule fails with a trace that replays against the same target, saying what it assumes."""
    server = _served("2025-01", hooks=MUTANTS[mutant])
    try:
        target = ["--target", "endpoint", "--endpoint-url", server.url, "--fixtures", str(WORLD)]
        argv = ["run", *target, "--profile", "2025-01", "--budget", "quick", "--seed", "1",
                "--rules", rule, "--report", str(tmp_path)]  # fmt: skip
        assert main(argv) == 1
        (found,) = json.loads((tmp_path / "report.json").read_text())["rules"]
        assert found["verdict"] == "fail" and rule in found["reason"], found
        capsys.readouterr()
        assert main(["replay", str(tmp_path / "traces" / f"{rule}.json"), *target]) == 1
        replayed = capsys.readouterr().out
        assert "Divergence reproduced." in replayed
        assert (
            "Assumes: nothing is reset" in replayed
            and "Assumes: the target's clock is the wall clock" in replayed
        )
    finally:
        server.close()


@pytest.mark.parametrize("moment", ["2026-12-06 07:00:02", "2026-12-06 07:59:58", "2026-12-01 00:00:03"])
def test_a_window_bug_fails_at_any_time_of_day(moment, tmp_path, capsys):
    """A window an hour too long is found whatever the wall clock says: in CI, at a few seconds
    past the hour, every timestamp drawn past the edge was within the wall-clock tolerance or
    12 h old, and the campaign passed the mutant with 79 decisions."""
    with freeze_time(moment, tick=True):
        server = _served("2025-01", hooks=MUTANTS["batch-window-hour-long"])
        try:
            argv = ["run", "--target", "endpoint", "--endpoint-url", server.url, "--fixtures", str(WORLD),
                    "--profile", "2025-01", "--budget", "quick", "--seed", "1", "--rules", "BMU-WINDOW",
                    "--report", str(tmp_path)]  # fmt: skip
            assert main(argv) == 1
        finally:
            server.close()
    (found,) = json.loads((tmp_path / "report.json").read_text())["rules"]
    assert found["verdict"] == "fail" and "TimestampOutOfBoundsException" in found["reason"], found


def test_a_found_duplicate_replays_after_the_hour_turns(tmp_path, capsys):
    """A trace recorded seconds before the hour, replayed after it: its records keep their hour.
    A plain shift by the time since the trace moved a record stamped at the hour's last seconds
    into the next one, its duplicate was no longer one, and CI reported the found bug flaky."""
    target = ["--target", "endpoint", "--fixtures", str(WORLD)]
    with freeze_time("2026-12-06 07:59:45", tick=True) as clock:
        server = _served("2025-01", hooks=MUTANTS["duplicate-recorded"])
        try:
            argv = ["run", *target, "--endpoint-url", server.url, "--profile", "2025-01", "--budget", "quick",
                    "--seed", "1", "--rules", "BMU-DUPLICATE", "--report", str(tmp_path)]  # fmt: skip
            assert main(argv) == 1
            trace = tmp_path / "traces" / "BMU-DUPLICATE.json"
            stamps = [r["Timestamp"] for s in json.loads(trace.read_text())["steps"]
                      for r in s["params"].get("UsageRecords", [])]  # fmt: skip
            clock.move_to("2026-12-06 08:00:40")
            capsys.readouterr()
            assert main(["replay", str(trace), *target, "--endpoint-url", server.url]) == 1
        finally:
            server.close()
    replayed = capsys.readouterr().out
    assert "Divergence reproduced." in replayed
    assert all(stamp < 1796544000 for stamp in stamps)  # every record of the trace is of 07:00
    assert "so that each record keeps its hour" in replayed


def _signature_run(server: Emulator, fixtures: Path, report: Path) -> dict:
    argv = ["run", "--target", "endpoint", "--endpoint-url", server.url, "--fixtures", str(fixtures),
            "--profile", "2025-01", "--budget", "quick", "--seed", "1", "--rules", "RU-SIGNATURE",
            "--report", str(report)]  # fmt: skip
    main(argv)
    (found,) = json.loads((report / "report.json").read_text())["rules"]
    return found


def test_signatures_are_verified_with_the_keys_a_fixtures_file_gives(tmp_path, capsys):
    """Without publicKeys RU-SIGNATURE is untestable and says what to add; with the served keys
    it passes; a token signed with another key, its claims all right, fails."""
    served = _served("2025-01")
    stranger = _served("2025-01", hooks=MUTANTS["signed-by-a-stranger"])
    try:
        keyed = tmp_path / "keyed.json"
        keyed.write_text(json.dumps(served.served_with_keys()))
        without = _signature_run(served, WORLD, tmp_path / "without")
        assert without["verdict"] == "untestable"
        assert "`publicKeys` of a product" in without["reason"] and str(WORLD) in without["reason"]
        assert _signature_run(served, keyed, tmp_path / "with")["verdict"] == "pass"
        # the same claims, signed with a key this file does not give: the mutant, and a correct
        # emulator judged with another emulator's keys
        failed = _signature_run(stranger, keyed, tmp_path / "stranger")
        assert failed["verdict"] == "fail", failed
        assert "Signature does not verify with the public key of product" in failed["reason"]
        other = tmp_path / "other.json"
        other.write_text(json.dumps(stranger.served_with_keys()))
        assert _signature_run(served, other, tmp_path / "other")["verdict"] == "fail"
    finally:
        served.close()
        stranger.close()


class _Odd(BaseHTTPRequestHandler):
    """Answers as some implementations and the things in front of them do: ``mode`` says how."""

    mode = "404"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def _answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.mode == "hang":
            time.sleep(8)
            return
        if self.mode == "html":
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self._answer(502, "text/html", page)
        elif self.mode == "text":  # a JSON object, labelled as something else
            self._answer(200, "text/plain", b'{"protocol": "something-else"}')
        else:
            self._answer(404, "text/plain", b"Not Found")


@pytest.fixture
def odd_server():
    servers = []

    def start(mode):
        handler = type("Handler", (_Odd,), {"mode": mode})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("mode", "fixtures", "code", "says"),
    [
        ("404", False, 3, "does not speak the control protocol; give --fixtures FILE"),
        ("html", False, 3, "does not speak the control protocol; give --fixtures FILE"),
        ("text", False, 3, "does not speak the control protocol; give --fixtures FILE"),
        ("hang", False, 3, "cannot be reached: GET"),
        ("hang", True, 3, "timed out"),
        ("404", True, 1, None),
        ("html", True, 1, None),
    ],
)
def test_each_kind_of_answer_a_target_without_control_gives_is_one_line_or_a_verdict(
    odd_server, mode, fixtures, code, says, tmp_path, capsys
):
    url = odd_server(mode)
    world = ["--fixtures", str(WORLD)] if fixtures else []
    argv = ["run", "--target", "endpoint", "--endpoint-url", url, *world, "--budget", "quick", "--seed", "1",
            "--rules", "MU-ACCEPT,BMU-WINDOW", "--report", str(tmp_path / "R")]  # fmt: skip
    assert main(argv) == code
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    if says is not None:  # one line before anything runs, and no report
        assert out.err.count("\n") == 1 and says in out.err, out.err
        assert not (tmp_path / "R").exists()
    else:  # it answers every request with garbage: no rule passes on it
        rules = {r["id"]: r for r in json.loads((tmp_path / "R" / "report.json").read_text())["rules"]}
        assert rules["BMU-WINDOW"]["verdict"] == "fail"
        # no answer of it is MU-ACCEPT's alone to blame in an open world: never counted toward a pass
        assert rules["MU-ACCEPT"]["verdict"] in ("fail", "untestable"), rules["MU-ACCEPT"]


pytest_plugins = ["pytester"]


def test_the_plugin_certifies_a_target_without_control(pytester):
    server = _served("2026-11")
    try:
        pytester.makepyfile(test_nothing="")
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--conformance-target=endpoint",
            f"--conformance-endpoint-url={server.url}", f"--conformance-fixtures={WORLD}",
            "--conformance-budget=quick", "--conformance-seed=1",
            "--conformance-rules=BMU-WINDOW,MU-ACCEPT,RC-RESOLVE,CONC-LINEARIZABLE",
        )  # fmt: skip
    finally:
        server.close()
    result.assert_outcomes(passed=3, skipped=1)
    assert "CONC-LINEARIZABLE: untestable: needs concurrent clients" in result.stdout.str()


def test_the_clock_of_a_target_is_learned_from_the_date_of_its_answers():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from conformance.engine.clock import TargetClock
    from conformance.models import CallContext, ResolveCustomer
    from conformance.models.response_rules import RawResponse
    from conformance.targets.client import Exchange

    clock = TargetClock()
    assert not clock.learned and clock.offset == timedelta(0)
    ahead = timedelta(seconds=93)
    for _ in range(3):
        sent = datetime.now(UTC)
        date = format_datetime((sent + ahead).replace(microsecond=0), usegmt=True)
        raw = RawResponse(400, "application/x-amz-json-1.1", b"{}", date)
        clock.observe(Exchange(ResolveCustomer("t"), CallContext(), None, raw), sent, datetime.now(UTC))  # type: ignore[arg-type]
    assert clock.learned and abs(clock.offset - ahead) <= timedelta(seconds=1)
    assert abs(clock.now() - (datetime.now(UTC) + ahead)) <= timedelta(seconds=2)
    # an answer without a Date, or with garbage, changes nothing
    clock.observe(
        Exchange(ResolveCustomer("t"), CallContext(), None, RawResponse(200, None, b"", "soon")), sent, sent
    )  # type: ignore[arg-type]
    assert abs(clock.offset - ahead) <= timedelta(seconds=1)


@pytest.mark.parametrize("skew", [-900, 900])
def test_a_target_whose_clock_is_off_is_judged_on_its_own_clock(skew, tmp_path, capsys):
    """A correct target whose clock is 15 minutes off passes (judged at the harness's clock, a
    batch timestamped now was in the future for a target behind, and BMU-ACCEPT failed)."""
    from datetime import UTC, datetime, timedelta

    server = _served("2025-01")
    server.scope().now = lambda: datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=skew)
    try:
        argv = ["run", "--target", "endpoint", "--endpoint-url", server.url, "--fixtures", str(WORLD),
                "--profile", "2025-01", "--budget", "quick", "--seed", "2",
                "--rules", "BMU-ACCEPT,MU-ACCEPT,BMU-WINDOW,MU-WINDOW",
                "--report", str(tmp_path)]  # fmt: skip
        code = main(argv)
    finally:
        server.close()
    rules = json.loads((tmp_path / "report.json").read_text())["rules"]
    assert code == 0, [(r["id"], r["verdict"], r["reason"]) for r in rules]
    assert {r["verdict"] for r in rules} == {"pass"}
