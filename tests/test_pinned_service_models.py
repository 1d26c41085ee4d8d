"""A verdict never changes with a ``pip install -U``: each profile reads its shapes from its own
snapshot, and the installed botocore only carries the requests.

The cross-version tests run the CLI with a second interpreter whose botocore is 1.36.3, the
2025-01 profile's release: ``.ci/run`` builds it as ``.venv-botocore-1.36`` beside the repo's
``.venv`` (see ``constraints-botocore-1.36.txt``).
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.models import CallContext
from conformance.targets import client as client_module
from conformance.targets.client import ClientModelError, make_client
from conformance.wire.service_model import load_service_dict, load_shapes

ROOT = Path(__file__).resolve().parent.parent
OLD_PYTHON = ROOT / ".venv-botocore-1.36" / "bin" / "python"
needs_old_botocore = pytest.mark.skipif(
    not OLD_PYTHON.exists() and not os.environ.get("CI"),
    reason="no .venv-botocore-1.36 (.ci/run builds it; in CI this test never skips)",
)


def _run(python: Path | str, tmp: Path, name: str, *args: str) -> dict[str, object]:
    report = tmp / name
    done = subprocess.run(
        [str(python), "-m", "conformance.cli", "run", *args, "--report", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    data = json.loads((report / "report.json").read_text())
    del data["started"], data["seconds"]  # wall-clock facts of the run, not verdicts
    for rule in data["rules"]:
        del rule["seconds"]
    traces = report / "traces"
    files = sorted(traces.iterdir()) if traces.exists() else []
    return {"report": data, "traces": {f.name: f.read_bytes() for f in files}}


def _botocore_of(python: Path | str) -> str:
    code = "import botocore; print(botocore.__version__)"
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


@needs_old_botocore
def test_a_2025_01_run_is_the_same_with_the_botocore_of_its_date(tmp_path):
    assert _botocore_of(OLD_PYTHON) == "1.36.3"
    assert _botocore_of(sys.executable) != "1.36.3"
    # moto fails these rules, so both runs write traces to compare byte for byte
    args = ("--target", "moto", "--profile", "2025-01", "--budget", "quick", "--seed", "5")
    # (MU-ACCEPT and RC-RESOLVE: moto lacks their operations, which the report says either way)
    rules = (
        "--rules",
        "ALLOC-SUM,MU-ACCEPT,BMU-WINDOW,BMU-IDEMPOTENT,BMU-SIZE-LIMIT,BMU-DUPLICATE,RC-RESOLVE",
    )
    old = _run(OLD_PYTHON, tmp_path, "old", *args, *rules)
    new = _run(sys.executable, tmp_path, "new", *args, *rules)
    assert old["report"] == new["report"]
    assert old["traces"] == new["traces"]
    assert len(old["traces"]) == 10  # a trace and a replay test per failing rule


JUDGE = """
import json
from datetime import UTC, datetime
from conformance.wire.service_model import model_for
from conformance.models import CallContext, Fixtures, World, request_from_params
world = World.of(Fixtures.from_json({"products": [{"productCode": "p", "dimensions": ["d"]}]}))
now = datetime(2026, 11, 2, 12, tzinfo=UTC)
base = {"ProductCode": "p", "Timestamp": now, "UsageDimension": "d"}
cases = {
    "2025-01": {**base, "UsageQuantity": 2, "UsageAllocations": [{}]},
    "2026-11": {**base, "UsageQuantityAsDecimal": "2.5",
                "UsageAllocations": [{"AllocatedUsageQuantityAsDecimal": "2.5"}]},
}
out = {}
for profile, params in cases.items():
    model = model_for(profile)
    allowed = model.allowed(model.initial(world), request_from_params("MeterUsage", params),
                            CallContext("AKIAJUDGE00000000001"), now)
    out[profile] = [type(a).__name__ + ":" + a.rule for a in allowed.alternatives]
print(json.dumps(out))
"""


@needs_old_botocore
def test_the_october_2026_allocation_change_is_judged_alike_whatever_botocore_is_installed():
    answers = [
        subprocess.run([str(py), "-c", JUDGE], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        for py in (OLD_PYTHON, sys.executable)
    ]
    assert answers[0] == answers[1]
    judged = json.loads(answers[0])
    assert judged["2025-01"] == ["Reject:WIRE-VALIDATION"]  # AllocatedUsageQuantity is required
    assert judged["2026-11"] == ["Accept:QTY-DECIMAL"]  # the decimal member alone is enough


@needs_old_botocore
def test_a_2026_11_run_needs_no_botocore_of_its_date(tmp_path):
    args = ("--target", "reference", "--profile", "2026-11", "--budget", "quick", "--seed", "3")
    rules = ("--rules", "QTY-DECIMAL,QTY-BY-VALUE,ALLOC-QUANTITY-FORM,MU-AGENTCORE,RC-AGREEMENT")
    old = _run(OLD_PYTHON, tmp_path, "old", *args, *rules)
    new = _run(sys.executable, tmp_path, "new", *args, *rules)
    assert old == new
    assert {r["verdict"] for r in old["report"]["rules"]} == {"pass"}  # type: ignore[index]


def _sent_body(client: object, call: str, **params: object) -> dict[str, object]:
    seen: dict[str, bytes] = {}

    def grab(request: object, **_: object) -> None:
        seen["body"] = request.body  # type: ignore[attr-defined]
        raise RuntimeError("sent")

    client.meta.events.register("before-send.meteringmarketplace", grab)  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="sent"):
        getattr(client, call)(**params)
    return json.loads(seen["body"])  # type: ignore[no-any-return]


def test_the_harness_client_speaks_the_profile_s_api_whatever_botocore_is_installed():
    old = make_client("http://127.0.0.1:9", CallContext("AKIAPINNED0000000001"), "2025-01")
    new = make_client("http://127.0.0.1:9", CallContext("AKIAPINNED0000000001"), "2026-11")
    for each, profile in ((old, "2025-01"), (new, "2026-11")):
        members = set(each.meta.service_model.shape_for("UsageRecord").members)
        assert members == set(load_shapes(profile).shapes["UsageRecord"]["members"])
    at = datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC)
    body = _sent_body(
        new, "meter_usage", ProductCode="p", Timestamp=at, UsageDimension="d", UsageQuantityAsDecimal="1.5"
    )
    # no ClientToken of botocore's own making: the request sent is the request judged
    assert body == {
        "ProductCode": "p",
        "Timestamp": 1793577600,
        "UsageDimension": "d",
        "UsageQuantityAsDecimal": "1.5",
    }


def test_a_botocore_that_cannot_load_a_profile_s_api_is_one_clear_error(monkeypatch):
    changed = copy.deepcopy(load_service_dict("2026-11"))
    changed["shapes"]["UsageRecord"]["members"]["QuantityInFuture"] = {"shape": "String"}

    def snapshot(profile: str) -> dict[str, object]:
        return changed

    monkeypatch.setattr(client_module, "load_service_dict", snapshot)
    with pytest.raises(ClientModelError) as error:
        client_module._session.__wrapped__("2026-11")
    message = str(error.value)
    assert "\n" not in message and "UsageRecord.QuantityInFuture" in message and "2026-11" in message


def test_every_profile_names_its_pinned_snapshot_and_every_shape_rule_is_a_rule():
    """Checked here, not by import-time asserts (which ``python -O`` drops)."""
    from conformance.models.catalogue import RULES_BY_ID
    from conformance.models.checks import SHAPE_RULES
    from conformance.models.profiles import PROFILES
    from conformance.wire.service_model import snapshot_path

    for profile in PROFILES.values():
        assert profile.service_model and snapshot_path(profile.name).is_file()
    assert set(SHAPE_RULES.values()) <= set(RULES_BY_ID)
