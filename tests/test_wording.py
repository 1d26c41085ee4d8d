"""Mismatches are typed in models/ and worded only in conformance/reporting/wording.py."""

from __future__ import annotations

import ast
from pathlib import Path

from conformance.models.expect import Mismatch, Problem
from conformance.reporting.wording import _WORDING, mismatch_text

ROOT = Path(__file__).resolve().parents[1]


def test_every_problem_has_a_wording():
    assert set(_WORDING) == set(Problem)


def test_a_mismatch_reads_from_its_fields():
    value = Mismatch("RC-RESOLVE", Problem.VALUE, expected="'p-1'", received="'p-2'", subject="ProductCode")
    assert mismatch_text(value) == "ProductCode 'p-2', expected 'p-1'"
    status = Mismatch("BMU-DUPLICATE", Problem.STATUS, expected="DuplicateRecord (BMU-DUPLICATE)",
                      received="Success", record=2)  # fmt: skip
    assert mismatch_text(status) == "record [2]: expected DuplicateRecord (BMU-DUPLICATE), got Success"
    shared = Mismatch("BMU-ACCEPT", Problem.ID_SHARED, received="'r-1'", records=(3, 0))
    assert (
        mismatch_text(shared)
        == "record [3] shares MeteringRecordId 'r-1' with record [0], a different record"
    )
    group = Mismatch("BMU-IDEMPOTENT", Problem.GROUP_IDS, records=(0, 1))
    assert mismatch_text(group) == "identical records [0, 1] got different MeteringRecordIds"


def test_models_build_mismatches_without_a_reason_text():
    """No ``Mismatch(...)`` in models/ passes a sentence: its second argument is a Problem."""
    for path in (ROOT / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Mismatch":
                assert len(node.args) >= 2, (path.name, node.lineno)
                second = node.args[1]
                assert isinstance(second, ast.Attribute) and getattr(second.value, "id", "") == "Problem", (
                    path.name,
                    node.lineno,
                )
