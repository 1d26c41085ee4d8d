"""A shared corpus of failures: the example that broke a rule in one process is replayed first,
and breaks it in its first example, in a fresh process on the same corpus (as another machine
reaching the same directory or Redis would); a corpus shared read-only is replayed, never
written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import main

# One campaign in a fresh process against the reference emulator with one bug (a window an
# hour too long): the verdict and the example, counted from 1, the failure was found in.
_CAMPAIGN = """
import json, sys
from conformance.config import RunConfig
from conformance.engine.runner import START, run_rule
from conformance.lab.mutants import MUTANTS
from conformance.models.model import Model
from conformance.models.profiles import get_profile
from conformance.strategies import minimal_world
from conformance.targets import ReferenceTarget, TargetOptions
from conformance.wire.service_model import load_shapes

corpus, shared, seed = json.loads(sys.argv[1])
model = Model(get_profile("2025-01"), load_shapes("2025-01"))
target = ReferenceTarget(model, hooks=MUTANTS["batch-window-hour-long"])
target.open(minimal_world("setup", "2025-01"), START)
config = RunConfig(TargetOptions("reference"), get_profile("2025-01"), ("BMU-WINDOW",), "quick", seed, 1,
                   corpus=corpus, shared_corpus=tuple(shared))
result = run_rule(config, "BMU-WINDOW", model, target)
print(json.dumps([result.verdict.value, result.found_in]))
"""


def _campaign(
    tmp_path: Path, seed: int, corpus: Path | str | None = None, shared: tuple[Path | str, ...] = ()
) -> list:
    argument = json.dumps([str(corpus) if corpus else None, [str(s) for s in shared], seed])
    done = subprocess.run(
        [sys.executable, "-c", _CAMPAIGN, argument], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def _files(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*") if p.is_file()}


def test_a_failure_found_by_one_process_is_replayed_first_by_the_next(tmp_path):
    corpus = tmp_path / "corpus"
    verdict, found_in = _campaign(tmp_path, 1, corpus)
    assert verdict == "fail" and found_in > 1  # generated: seed 1 reaches it after some examples
    assert _files(corpus)  # the breaking example was saved

    without = _campaign(tmp_path, 2)
    assert without[0] == "fail" and without[1] > 1  # another seed, no corpus: found later
    assert _campaign(tmp_path, 2, corpus) == ["fail", 1]  # the corpus's example comes first

    # read only (the laptop pattern): replayed from the shared corpus, nothing written to it
    saved = {p: p.read_bytes() for p in _files(corpus)}
    assert _campaign(tmp_path, 3, tmp_path / "local", (corpus,)) == ["fail", 1]
    assert {p: p.read_bytes() for p in _files(corpus)} == saved
    assert _campaign(tmp_path, 3, None, (corpus,)) == ["fail", 1]


def test_a_corpus_keeps_each_rule_profile_and_target_apart():
    from conformance.engine.corpus import corpus_key

    keys = {
        corpus_key("BMU-WINDOW", "2025-01", "reference"),
        corpus_key("BMU-WINDOW", "2026-11", "reference"),
        corpus_key("BMU-WINDOW", "2025-01", "moto"),
        corpus_key("MU-WINDOW", "2025-01", "reference"),
    }
    assert len(keys) == 4


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--corpus", "pyproject.toml"], "pyproject.toml is a file, not a corpus directory"),
        (["--shared-corpus", "pyproject.toml"], "pyproject.toml is a file, not a corpus directory"),
    ],
)
def test_a_bad_corpus_is_one_line_and_exit_2(capsys, monkeypatch, argv, says):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    with pytest.raises(SystemExit) as exited:
        main(["run", "--target", "reference", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert exited.value.code == 2 and says in err[-1], err


@pytest.fixture
def redis_url(tmp_path: Path):
    """A real redis-server on a loopback port of its own, saving nothing to disk."""
    import shutil
    import socket
    import time

    server_binary = shutil.which("redis-server")
    if server_binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it")
        pytest.skip(
            "no redis-server (apt-get install redis-server; .ci/run does, and in CI this never skips)"
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [server_binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.kill()
        server.wait()


def test_a_failure_saved_in_redis_is_replayed_first_by_a_fresh_process(tmp_path, redis_url):
    """The corpus on a real redis-server, as two machines reaching it would share it."""
    verdict, found_in = _campaign(tmp_path, 1, redis_url)
    assert verdict == "fail" and found_in > 1
    assert _campaign(tmp_path, 2, redis_url) == ["fail", 1]
    assert _campaign(tmp_path, 3, tmp_path / "local", (redis_url,)) == ["fail", 1]
