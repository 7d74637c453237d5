"""`aigc-bench generate`: runs the engine from a checkpoint directory or a named config,
prints tokens and tokens/s, and rejects bad input with exit status 2."""

import pytest

from aigc_bench.cli import main
from impls.numpy.engine import generate, load_model


def run(capsys, *argv):
    status = main(["generate", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def printed_tokens(out):
    line = next(l for l in out.splitlines() if l.startswith("tokens: "))
    return [int(t) for t in line.removeprefix("tokens: ").split(",")]


def test_generate_from_config_prints_greedy_tokens_and_speed(capsys):
    status, out, _ = run(capsys, "--config", "tiny", "--prompt-ids", "1,2,3", "--max-new-tokens", "6")
    assert status == 0
    assert printed_tokens(out) == generate(load_model(config="tiny"), [1, 2, 3], 6)
    assert "decode: 5 tokens" in out and "tokens/s" in out


def test_generate_from_a_checkpoint_directory(capsys, tmp_path):
    from aigc_bench.models import seeded_gpt2

    model32, _ = seeded_gpt2(0, vocab_size=64, n_positions=32, n_layer=1, n_head=2, n_embd=16, initializer_range=0.2)
    model32.save_pretrained(tmp_path)
    status, out, _ = run(capsys, "--model", str(tmp_path), "--prompt-ids", "5,6", "--max-new-tokens", "4", "--weights", "int8", "--threads", "1")
    assert status == 0, out
    assert printed_tokens(out) == generate(load_model(str(tmp_path), weights="int8"), [5, 6], 4)


def test_text_prompt_with_a_local_tokenizer(capsys):
    from aigc_bench.models import minilm_dir

    status, out, _ = run(capsys, "--config", "small", "--tokenizer", str(minilm_dir()), "--prompt", "hello world", "--max-new-tokens", "3")
    assert status == 0
    assert "text: " in out and len(printed_tokens(out)) == 3


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--config", "tiny", "--prompt-ids", "1,x"], "comma-separated integers"),
        (["--config", "tiny", "--prompt-ids", "1,99999"], "must lie in"),
        (["--config", "nope", "--prompt-ids", "1"], "unknown config"),
        (["--model", "/no/such/dir", "--prompt-ids", "1"], "does not exist"),
        (["--config", "tiny", "--prompt", "hello"], "--tokenizer"),
        (["--config", "tiny", "--prompt-ids", "1", "--max-new-tokens", "500"], "exceed the context"),
    ],
    ids=["not-integers", "id-out-of-vocabulary", "unknown-config", "missing-model-dir", "text-without-tokenizer", "too-long"],
)
def test_bad_input_exits_2_with_a_clear_message(capsys, argv, message):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err, err
