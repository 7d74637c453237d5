"""Our own OpenAI-compatible server (`aigc-bench serve --config small`, random weights)
as a real subprocess on a free loopback port, shared by the end-to-end and CLI tests."""

import pytest

from aigc_bench.server.testing import serving

MODEL = "aigc-small"


@pytest.fixture(scope="session")
def prompt_server():
    with serving("--config", "small") as server:
        yield server
