"""The package as a user installs it: a wheel built from the repository, installed (not editable)
into a fresh virtual environment, used from a seller's own project outside the repository,
whose ``models.py`` and ``strategies/`` package are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A seller's project: a Django-style models.py, a strategies/ package of its own, a metering job,
# and its tests, which use the metering_service fixture in the same session as its own modules.
SELLER_PROJECT = {
    "models.py": """
        class Invoice:
            table = "invoices"
    """,
    "strategies/__init__.py": """
        PRICING = "tiered"
    """,
    "job.py": """
        import boto3


        def meter(quantity, at):
            client = boto3.client("meteringmarketplace")
            return client.batch_meter_usage(
                ProductCode="prod-saas",
                UsageRecords=[{"Timestamp": at, "CustomerIdentifier": "cust-acme",
                               "Dimension": "users", "Quantity": quantity}],
            )
    """,
    "test_billing.py": """
        from datetime import UTC, datetime

        import models
        import strategies

        import job


        def test_its_own_modules():
            assert models.Invoice.table == "invoices" and strategies.PRICING == "tiered"


        def test_the_job_bills_once_under_faults(metering_service):
            metering_service.faults(0.3, seed=2)
            at = datetime.now(UTC)  # stamped once: a retry is the same record
            for _ in range(20):  # the job's retry: a throttle or a lost answer is sent again
                try:
                    answer = job.meter(3, at)
                except Exception:
                    continue
                if not answer["UnprocessedRecords"]:
                    break
            assert len(metering_service.records()) == 1
            metering_service.check()
    """,
}


def _write_project(directory: Path) -> None:
    for name, text in SELLER_PROJECT.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def _run(argv: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel and its dependencies (at the versions CI pins); its bin/."""
    work = tmp_path_factory.mktemp("installed")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work), str(ROOT)], work
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = work.glob("metering_conformance-*.whl")
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / "bin"
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt")]
    done = _run([*pip, str(wheel), "pytest"], work)
    assert done.returncode == 0, done.stderr
    return bin_dir


def test_outside_the_repository_models_and_strategies_are_not_ours(installed, tmp_path):
    code = (
        "import importlib.util, json; "
        "print(json.dumps({n: importlib.util.find_spec(n) is not None for n in "
        "('models', 'strategies', 'conformance.models', 'conformance.strategies')}))"
    )
    found = _run([str(installed / "python"), "-c", code], tmp_path)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == {
        "models": False,
        "strategies": False,
        "conformance.models": True,
        "conformance.strategies": True,
    }


def test_the_installed_command_runs_a_campaign(installed, tmp_path):
    run = _run(
        [str(installed / "conformance"), "run", "--target", "reference", "--budget", "quick", "--seed", "1",
         "--rules", "BMU-WINDOW,MU-ACCEPT", "--report", "R"],
        tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("conformance run: target reference, profile 2026-11")
    assert json.loads((tmp_path / "R" / "report.json").read_text())["summary"]["pass"] == 2


def test_a_seller_project_with_its_own_models_uses_the_fixture(installed, tmp_path):
    _write_project(tmp_path)
    session = _run([str(installed / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path)
    assert session.returncode == 0, session.stdout + session.stderr
    assert "2 passed" in session.stdout
