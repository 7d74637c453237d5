"""Our own OpenAI-compatible server (`aigc-bench serve --config small`, random weights)
as a real subprocess on a free loopback port, shared by the end-to-end and CLI tests."""

import pytest

from aigc_bench.server.testing import ServerProcess, aigc_bench_command

MODEL = "aigc-small"


@pytest.fixture(scope="session")
def prompt_server():
    with ServerProcess(aigc_bench_command("serve", "--config", "small")) as server:
        yield server
        assert server.alive(), f"the server died during the tests:\n{server.output()}"
