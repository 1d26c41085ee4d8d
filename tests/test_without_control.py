"""An implementation that does not speak the control protocol (most of those a user certifies):
the world is what ``--fixtures`` declares, nothing is reset, the clock is the wall clock. The
reference emulator with its control routes switched off stands in for one."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.emulator.server import Emulator
from conformance.lab.mutants import MUTANTS
from conformance.models import Fixtures
from conformance.wire.service_model import model_for

ROOT = Path(__file__).resolve().parents[1]
WORLD = ROOT / "examples" / "world.json"


def _served(profile: str, **kwargs: object) -> Emulator:
    fixtures = Fixtures.from_json(json.loads(WORLD.read_text()))
    return Emulator(model_for(profile), fixtures, control=False, **kwargs).start()  # type: ignore[arg-type]


def test_serve_no_control_answers_no_control_route():
    server = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--no-control", "--fixtures", str(WORLD)],
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


def test_a_seeded_bug_fails_without_control(tmp_path, capsys):
    """A batch of 26 records accepted: BMU-SIZE-LIMIT fails with a trace that replays."""
    server = _served("2025-01", hooks=MUTANTS["twenty-six-records"])
    try:
        target = ["--target", "endpoint", "--endpoint-url", server.url, "--fixtures", str(WORLD)]
        argv = ["run", *target, "--profile", "2025-01", "--budget", "quick", "--seed", "1",
                "--rules", "BMU-SIZE-LIMIT", "--report", str(tmp_path)]  # fmt: skip
        assert main(argv) == 1
        (rule,) = json.loads((tmp_path / "report.json").read_text())["rules"]
        assert rule["verdict"] == "fail", rule
        assert "BMU-SIZE-LIMIT" in rule["expected"] and rule["received"].startswith("200"), rule
        capsys.readouterr()
        assert main(["replay", str(tmp_path / "traces" / "BMU-SIZE-LIMIT.json"), *target]) == 1
        assert "Divergence reproduced." in capsys.readouterr().out
    finally:
        server.close()
