"""One entry per kind of target (``targets.registry.TARGETS``): what the CLI, the plugin and the
engine know of a target comes from its entry, and the entry says what its adapter does."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.options import check_target_options
from conformance.targets import FAULTABLE, TARGET_NAMES, TARGETS, TargetOptions, TargetUsageError, make_target
from conformance.targets.base import FAULTS

WORLD = Path(__file__).resolve().parents[1] / "examples" / "world.json"
# what each kind needs to be made without reaching anything: nothing here is opened
_OPTIONS = {
    "reference": TargetOptions("reference"),
    "reference-server": TargetOptions("reference-server", "http://127.0.0.1:9"),
    "moto": TargetOptions("moto"),
    "moto-server": TargetOptions("moto-server", "http://127.0.0.1:9"),
    "endpoint": TargetOptions("endpoint", "http://127.0.0.1:9"),
    "aws": TargetOptions("aws", None, WORLD, allow_real_billing=True, max_records=5),
}


@pytest.mark.parametrize("name", TARGET_NAMES)
def test_each_kind_makes_a_target_of_its_name_that_announces_what_its_entry_says(name, model):
    kind = TARGETS[name]
    target = make_target(_OPTIONS[name], model)
    assert target.name == name
    assert (FAULTS in target.capabilities) == kind.faultable == (name in FAULTABLE)
    assert not (kind.threads and not kind.faultable)  # threads are met only where faults are


def test_an_option_no_kind_reads_is_refused_by_what_the_entries_say():
    readers = [n for n, k in TARGETS.items() if k.reads_fixtures]
    with pytest.raises(TargetUsageError, match=f"only {', '.join(readers)} read it"):
        check_target_options(TargetOptions("reference", fixtures_file=WORLD))
    with pytest.raises(TargetUsageError, match="--target endpoint needs --endpoint-url URL"):
        check_target_options(TargetOptions("endpoint"))
    with pytest.raises(TargetUsageError, match="add --allow-real-billing"):
        check_target_options(TargetOptions("aws", fixtures_file=WORLD, max_records=5))
