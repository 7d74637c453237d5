"""Servers for the load-tool tests: real processes on free loopback ports, stopped at the end."""

import sys

import pytest

from aigc_bench.server.testing import ServerProcess, aigc_bench_command

# Injected delays of the calibration server (seconds).
INJECTED_TTFT = 0.040
INJECTED_ITL = 0.010
TOKENS_PER_REQUEST = 8


def delay_server_command(ttft: float, itl: float) -> list[str]:
    return [sys.executable, "-m", "aigc_bench.loadtest.testserver", "--ttft", str(ttft), "--itl", str(itl)]


@pytest.fixture(scope="session")
def delay_server():
    """The tiny streaming server with known delays (aigc_bench/loadtest/testserver.py)."""
    with ServerProcess(delay_server_command(INJECTED_TTFT, INJECTED_ITL)) as server:
        yield server


@pytest.fixture(scope="session")
def trivial_server():
    """The same server with no delay: what the load tool's own ceiling is measured against."""
    with ServerProcess(delay_server_command(0.0, 0.0)) as server:
        yield server


@pytest.fixture(scope="session")
def engine_server():
    """`aigc-bench serve --config small` (the real engine, continuous batching, max batch 8)."""
    with ServerProcess(aigc_bench_command("serve", "--config", "small", "--max-batch", "8")) as server:
        yield server
