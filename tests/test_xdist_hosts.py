"""Campaigns on pytest-xdist's remote workers: two execnet socket servers on loopback stand for
two hosts (``--tx socket=HOST:PORT``, as a real second machine is reached), and a rule's verdict
and failure text do not depend on where its campaign ran: one process, two local processes and
two "hosts" give the same report for the same seed."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

# moto breaks or lacks some of these, so the report has failure texts to compare, not only passes
RULES = "MU-ACCEPT,BMU-DUPLICATE,BMU-WINDOW,RC-RESOLVE"
_LISTENING = re.compile(r"Entering Accept loop \('127\.0\.0\.1', (\d+)\)")


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[list[int]]:
    """Two execnet socket servers on loopback ports of their own: the ports."""
    servers, ports = [], []
    try:
        for _ in range(2):
            server = subprocess.Popen(
                [sys.executable, "-u", "-m", "execnet.script.socketserver", "127.0.0.1:0"],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            servers.append(server)
            assert server.stdout is not None
            listening = _LISTENING.search(server.stdout.readline())
            assert listening, "the socket server did not say where it listens"
            ports.append(int(listening.group(1)))
        yield ports
    finally:
        for server in servers:
            server.kill()
            server.wait()


def _plugin_run(directory: Path, *where: str) -> tuple[dict[str, tuple[str, str]], str]:
    """A plugin session against moto with seed 7: each rule's outcome and failure text (the
    report directory's path taken out), and the terminal output."""
    directory.mkdir()
    report = directory / "report"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "--conformance-target=moto",
         "--conformance-seed=7", f"--conformance-rules={RULES}", f"--conformance-report={report}",
         f"--junitxml={directory / 'out.xml'}", *where],
        cwd=directory, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # moto breaks some rules
    outcomes = {}
    for case in ET.parse(directory / "out.xml").iter("testcase"):
        found = [(child.tag, (child.text or "").replace(str(directory), "DIR")) for child in case]
        outcomes[case.get("name", "")] = found[0] if found else ("passed", "")
    return outcomes, done.stdout


def test_a_rule_reads_the_same_on_one_process_two_processes_and_two_hosts(tmp_path, hosts):
    one, _ = _plugin_run(tmp_path / "one", "-p", "no:xdist")
    two, _ = _plugin_run(tmp_path / "two", "-n", "2")
    spread = [f"--tx=socket=127.0.0.1:{port}//chdir={tmp_path / 'hosts'}" for port in hosts]
    on_hosts, out = _plugin_run(tmp_path / "hosts", "--dist=load", *spread)

    assert len(one) == len(RULES.split(","))
    assert {outcome for outcome, _ in one.values()} >= {"failure", "skipped"}
    assert on_hosts == one and two == one
    # each "host" ran campaigns of its own
    ran = set(re.findall(r"^\[(gw\d)\] \[ *\d+%\] (?:PASSED|FAILED|SKIPPED)", out, re.MULTILINE))
    assert ran == {"gw0", "gw1"}, out[-2000:]
    assert "socket=127.0.0.1" in out
