"""The sampling suite's statistical tests are not tuned to the reference's way of
drawing: a learner sampler that is correct but draws differently
(Generator.choice per row, a Gumbel-max trick) passes them, and a learner
whose top-p stops before the token that crosses p fails them. Runs the real
suite on three learner folders in one subprocess."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMON = '''
import numpy as np


def _distribution(logits, temperature=1.0, top_k=None, top_p=None, crossing_kept=True):
    logits = np.asarray(logits, dtype=np.float64)
    if np.isnan(logits).any() or np.isneginf(logits).all(-1).any():
        raise ValueError("NaN logits, or a row with no finite logit")
    if temperature < 0 or (top_k is not None and (not float(top_k).is_integer() or top_k < 1)) or (top_p is not None and not 0 < top_p <= 1):
        raise ValueError("bad temperature, top_k or top_p")
    if temperature == 0:
        return np.eye(logits.shape[-1])[np.argmax(logits, -1)]
    rows = (logits / temperature).reshape(-1, logits.shape[-1])
    out = np.zeros_like(rows)
    for r, row in enumerate(rows):
        order = sorted(range(row.size), key=lambda i: (-row[i], i))
        if top_k is not None:
            order = order[: int(top_k)]
        probs = np.exp(row[order] - row[order[0]])
        probs /= probs.sum()
        if top_p is not None:
            total, kept = 0.0, 0
            for p in probs:
                if (total >= top_p) if crossing_kept else (total + p >= top_p and kept > 0):
                    break
                total, kept = total + p, kept + 1
            probs = probs[:kept] / probs[:kept].sum()
            order = order[:kept]
        out[r, order] = probs
    return out.reshape(logits.shape)


def greedy(logits):
    return np.argmax(_distribution(logits, 0.0), -1)


def sampling_distribution(logits, temperature=1.0, top_k=None, top_p=None):
    return _distribution(logits, temperature, top_k, top_p{crossing})


def sample(logits, rng, n=1, temperature=1.0, top_k=None, top_p=None):
    if not isinstance(rng, np.random.Generator) or n < 1:
        raise ValueError("rng must be a numpy Generator and n >= 1")
    probs = _distribution(logits, temperature, top_k, top_p{crossing})
    rows = probs.reshape(-1, probs.shape[-1])
{draw}
    return tokens.reshape(probs.shape[:-1] + (n,)).astype(np.int64)
'''

CHOICE = "    tokens = np.stack([rng.choice(row.size, size=n, p=row) for row in rows])"
GUMBEL = """    with np.errstate(divide="ignore"):
        log_probs = np.log(rows)  # dropped tokens: -inf, never the argmax
    tokens = np.argmax(log_probs[:, None, :] + rng.gumbel(size=(rows.shape[0], n, rows.shape[1])), -1)"""


def learner(tmp_path: Path, name: str, draw: str, crossing: str = "") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "sampling.py").write_text(COMMON.replace("{draw}", draw).replace("{crossing}", crossing))
    return folder


def test_correct_samplers_pass_and_a_wrong_top_p_fails(tmp_path):
    folders = [
        learner(tmp_path, "by_choice", CHOICE),
        learner(tmp_path, "by_gumbel", GUMBEL),
        learner(tmp_path, "drops_crossing", CHOICE, ", crossing_kept=False"),
    ]
    args = [a for f in folders for a in ("--learner", str(f))]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/week01_02_fundamentals/test_sampling.py", *args, "-p", "no:cacheprovider", "--no-record", "-rA", "-q",
         "-k", "frequencies or batched or crossing or top_k_never or generator"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    out = proc.stdout + proc.stderr
    for good in ("by_choice", "by_gumbel"):
        failed = re.findall(rf"^FAILED (\S+\[{good}[\]-]\S*)", out, re.M)
        assert not failed, f"a correct sampler ({good}) failed {failed}:\n{out[-4000:]}"
        assert re.search(rf"^PASSED \S+test_sampled_frequencies_follow_the_target\[{good}-top-p-0.7\]", out, re.M), f"{good} did not run the chi-square tests:\n{out[-3000:]}"
    assert re.search(r"^FAILED \S+test_top_p_keeps_the_token_that_crosses_p\[drops_crossing\]", out, re.M), f"a top-p that drops the crossing token must fail:\n{out[-3000:]}"
    assert re.search(r"^FAILED \S+test_sampled_frequencies_follow_the_target\[drops_crossing-top-p-0.7\]", out, re.M), f"its draws must fail the frequency test:\n{out[-3000:]}"
    assert "likely mistake: matches top-p excluding the token whose probability crosses p" in out, f"the failure should name the catalogued mistake:\n{out[-3000:]}"
