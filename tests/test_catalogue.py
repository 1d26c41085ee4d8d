"""The catalogue is the public contract: every spec ID present, cited, and tested both ways."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.models import RULES, RULES_BY_ID, rules_for
from conformance.models.catalogue import CLIENT_RULES
from tests import test_model_2026, test_model_rules, test_window_boundaries  # noqa: F401 - registers rule cases
from tests.rulecases import FIRES, SILENT

# The IDs of spec/rules.md: a public interface that must never lose a member.
SPEC_IDS = [
    "WIRE-JSON",
    "WIRE-ERROR-SHAPE",
    "WIRE-STATUS",
    "WIRE-UNKNOWN-OP",
    "WIRE-MALFORMED",
    "WIRE-VALIDATION",
    "ALLOC-SUM",
    "ALLOC-UNIQUE-TAGS",
    "ALLOC-TAG-LIMIT",
    "ALLOC-TAG-FORMAT",
    "ALLOC-COUNT-LIMIT",
    "ALLOC-QUANTITY-FORM",
    "QTY-DECIMAL",
    "QTY-ONE-FORM",
    "QTY-BY-VALUE",
    "MU-ACCEPT",
    "MU-PRODUCT",
    "MU-DIMENSION",
    "MU-WINDOW",
    "MU-FUTURE",
    "MU-IDEMPOTENT",
    "MU-HOUR-DUPLICATE",
    "MU-CALLER-ISOLATION",
    "MU-QUANTITY-DEFAULT",
    "MU-DRYRUN",
    "MU-ENTITLEMENT",
    "MU-CLIENT-TOKEN",
    "MU-AGENTCORE",
    "BMU-ACCEPT",
    "BMU-PARTITION",
    "BMU-SIZE-LIMIT",
    "BMU-PAYLOAD-LIMIT",
    "BMU-WINDOW",
    "BMU-ATOMIC",
    "BMU-FUTURE",
    "BMU-PRODUCT",
    "BMU-DIMENSION",
    "BMU-NOT-SUBSCRIBED",
    "BMU-UNKNOWN-CUSTOMER",
    "BMU-IDEMPOTENT",
    "BMU-DUPLICATE",
    "BMU-IN-BATCH-DUPLICATE",
    "BMU-CUSTOMER-ISOLATION",
    "BMU-PRODUCT-ISOLATION",
    "BMU-EMPTY",
    "BMU-ACCOUNT-ID",
    "BMU-LICENSE",
    "BMU-CONCURRENT-AGREEMENTS",
    "RC-RESOLVE",
    "RC-INVALID",
    "RC-EXPIRED",
    "RC-REUSE",
    "RC-METERABLE",
    "RC-AGREEMENT",
    "RU-SIGNATURE",
    "RU-NONCE",
    "RU-PRODUCT",
    "RU-KEY-VERSION",
    "RU-ENTITLEMENT",
    "RU-PLATFORM",
    "RU-FIRST-CALL-ONLY",
    "RETRY-CONVERGES",
    "CONC-LINEARIZABLE",
]

SPEC_FILE = Path(__file__).resolve().parents[2] / "shared" / "spec" / "rules.md"


def test_every_spec_id_is_in_the_catalogue():
    assert set(SPEC_IDS) <= set(RULES_BY_ID), set(SPEC_IDS) - set(RULES_BY_ID)
    assert len(RULES_BY_ID) == len(RULES) + len(CLIENT_RULES), "duplicate rule ID"


@pytest.mark.skipif(not SPEC_FILE.exists(), reason="design inputs not checked out beside the repo")
def test_contract_list_matches_the_design_input():
    ids = set(re.findall(r"^\| ([A-Z]+(?:-[A-Z0-9]+)+) \|", SPEC_FILE.read_text(), re.MULTILINE))
    assert ids == set(SPEC_IDS)


def test_every_rule_is_cited_with_confidence():
    for rule in (*RULES, *CLIENT_RULES):
        assert rule.confidence[0] in "DOICU", rule.id
        assert rule.sources, f"{rule.id} cites no source (say where the sources are silent)"
        assert rule.statement.endswith("."), rule.id
        if rule.confidence[0] in "DC":
            assert rule.sources, f"{rule.id} is documented or conflicting but cites no source"
        if rule.confidence[0] in "UC" and rule.id not in {"ALLOC-COUNT-LIMIT", "BMU-ACCOUNT-ID"}:
            assert rule.lenient, f"{rule.id} has confidence {rule.confidence} but is strict"


def test_catalogue_coverage():
    """Every rule has a model test where it decides and one where it must not fire."""
    missing = [
        f"{rule.id}: {'no firing test' if rule.id not in FIRES else 'no silent test'}"
        for rule in RULES
        if rule.id not in FIRES or rule.id not in SILENT
    ]
    assert not missing, "\n".join(missing)
    assert set(FIRES) | set(SILENT) <= set(RULES_BY_ID), "a test names an unknown rule"


def test_profiles_select_rules():
    old = {r.id for r in rules_for("2025-01")}
    new = {r.id for r in rules_for("2026-11")}
    assert new - old == {
        "MU-CLIENT-TOKEN",
        "BMU-ACCOUNT-ID",
        "BMU-LICENSE",
        "QTY-DECIMAL",
        "QTY-ONE-FORM",
        "QTY-BY-VALUE",
        "ALLOC-QUANTITY-FORM",
        "MU-AGENTCORE",
        "BMU-CONCURRENT-AGREEMENTS",
        "RC-AGREEMENT",
    }
    assert old <= new


def test_cli_rules_json(capsys):
    assert main(["rules", "--format", "json", "--profile", "2026-11"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["profile"] == "2026-11"
    listed = {r["id"]: r for r in data["rules"]}
    assert set(SPEC_IDS) <= set(listed)
    window = listed["BMU-WINDOW"]
    assert window["confidence"] == "D" and window["sources"][0]["name"] == "SDK-V1"
    assert set(window) == {
        "id",
        "operation",
        "statement",
        "sources",
        "confidence",
        "lenient",
        "profiles",
        "errors",
        "needs",
        "aboutRecords",
    }
    assert window["errors"] == ["TimestampOutOfBoundsException"]
    assert window["needs"] == ["any-customer"] and window["aboutRecords"] is False
    assert listed["RU-FIRST-CALL-ONLY"]["needs"] == ["registering-caller", "fixture-changes"]
    assert listed["BMU-ATOMIC"]["aboutRecords"] is True
    assert listed["ALLOC-TAG-LIMIT"]["errors"] == ["InvalidTagException", "ValidationException"]
    assert listed["BMU-SIZE-LIMIT"]["errors"] == ["*", "ValidationException"]


def test_cli_rules_json_2025_01_lists_no_rule_of_the_2026_api(capsys):
    assert main(["rules", "--format", "json", "--profile", "2025-01"]) == 0
    listed = {r["id"] for r in json.loads(capsys.readouterr().out)["rules"]}
    only_2026 = {r.id for r in RULES if r.profiles == {"2026-11"}}
    assert only_2026 >= {"QTY-DECIMAL", "MU-AGENTCORE", "RC-AGREEMENT", "BMU-CONCURRENT-AGREEMENTS"}
    assert listed == {r.id for r in RULES} - only_2026


def test_cli_rules_table_default_profile(capsys):
    """The default profile is the API as it is today; 2025-01 is asked for by name."""
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "profile 2026-11" in out and "BMU-WINDOW" in out and "MU-CLIENT-TOKEN" in out
    assert main(["rules", "--profile", "2025-01"]) == 0
    out = capsys.readouterr().out
    assert "profile 2025-01" in out and "BMU-WINDOW" in out and "MU-CLIENT-TOKEN" not in out


def test_cli_bad_profile_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["rules", "--profile", "1999-01"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1999-01" in err


# shaped like rule IDs, and named by tests to show they are refused
_NOT_RULES = {"BMU-NOPE", "BMU-WINDOWS"}


def test_every_rule_id_the_code_names_is_in_the_catalogue():
    """Code names a rule by its public ID (the catalogue entry, the branch deciding it, aims,
    mutants, tests); a mistyped ID anywhere fails here, not when its branch runs (in the
    packages, mypy fails first: tests/test_rule_ids.py)."""
    import ast
    import re
    from pathlib import Path

    from conformance.models.catalogue import RULES_BY_ID

    root = Path(__file__).resolve().parents[1]
    shaped = re.compile(r"(WIRE|ALLOC|QTY|MU|BMU|RC|RU|RETRY|CONC|CLIENT)-[A-Z0-9]+(-[A-Z0-9]+)*")
    unknown = []
    for package in ("models", "strategies", "conformance", "tests"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                text = node.value if isinstance(node, ast.Constant) else None
                if (
                    isinstance(text, str)
                    and shaped.fullmatch(text)
                    and text not in {*RULES_BY_ID, *_NOT_RULES}
                ):
                    unknown.append(f"{path.relative_to(root)}:{node.lineno} {text}")
    assert not unknown, unknown
    assert len(RULES_BY_ID) >= 65


def test_cli_lists_the_client_rules_apart(capsys):
    assert main(["rules", "--client", "--format", "json"]) == 0
    listed = [r["id"] for r in json.loads(capsys.readouterr().out)["rules"]]
    assert listed == [r.id for r in CLIENT_RULES] and all(i.startswith("CLIENT-") for i in listed)
    assert main(["rules", "--client"]) == 0
    out = capsys.readouterr().out
    assert (
        f"{len(CLIENT_RULES)} client rules" in out
        and "CLIENT-IDENTICAL-RETRY" in out
        and "BMU-WINDOW" not in out
    )
