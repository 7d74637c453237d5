import pytest

from .references import TINY, HFReference


@pytest.fixture(scope="session")
def hf_tiny(tmp_path_factory):
    """The tiny seeded HF GPT-2, saved as a local checkpoint directory."""
    return HFReference(tmp_path_factory.mktemp("gpt2-tiny"), seed=0, **TINY)
