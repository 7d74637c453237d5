"""The inference engine (roadmap Day 78-84, stage 4): GPT-2 end to end with a KV cache,
fp32 or quantized (INT8 / INT4) weights, and continuous batching.

    model = load_model(config="small", seed=0)          # or load_model("path/to/gpt2-dir")
    tokens = generate(model, [1, 2, 3], max_new_tokens=8)  # greedy, with the cache

    engine = Engine(model, max_batch=8)                  # continuous batching
    rid = engine.add_request([1, 2, 3], max_new_tokens=16, temperature=0.7, top_p=0.9, seed=1)
    while engine.has_work():
        for request_id, token, finished in engine.step():
            ...

How a step works: every running request contributes its new tokens (the whole
prompt for a request that has just joined: prefill; one token otherwise:
decode). The rows of all requests are stacked into one [N, C] matrix for the
projections and the MLP (the weights are read once per step for the whole
batch: that is where batching pays), and attention runs per request over its
own KV cache. Requests join and leave between steps.

Quantized weights: per-output-channel symmetric INT8 and group-wise (32)
symmetric INT4, made by the quantization skill's reference quantizers
(impls/numpy/quantize_int8.py, quantize_int4.py).
Decode-sized products with quantized weights run in native kernels that read
the compact weights directly (INT8: native/engine.c; INT4: the week 11 INT4 GEMV
in native/int8.c); prefill, and machines where they cannot be built, dequantize
and use BLAS.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .attention import scaled_dot_product_attention
from .gpt2 import GPT2Params, GPTConfig, gelu_new, gpt2_from_state_dict, layer_norm, load_gpt2, merge_heads, random_state_dict, split_heads
from .kv_cache import KVCache

# Named configurations for seeded random weights. "small" uses the BERT WordPiece
# vocabulary size (30522) so that a server can pair it with the MiniLM tokenizer.
CONFIGS = {
    "small": GPTConfig(vocab_size=30522, n_ctx=512, n_layer=4, n_head=4, n_embd=128),
    "tiny": GPTConfig(vocab_size=512, n_ctx=128, n_layer=2, n_head=2, n_embd=32),
    "124M": GPTConfig(),  # GPT-2 small's shape
}
WEIGHT_FORMATS = ("fp32", "int8", "int4")
INT4_GROUP = 32


# --------------------------------------------------------------------------- linear layers


class Linear:
    """y = x @ W + b with W [in, out] in float32."""

    kind = "fp32"

    def __init__(self, weight, bias):
        self.weight = np.ascontiguousarray(weight, dtype=np.float32)  # [in, out]
        self.bias = None if bias is None else np.ascontiguousarray(bias, dtype=np.float32)

    @property
    def nbytes(self) -> int:
        return self.weight.nbytes + (0 if self.bias is None else self.bias.nbytes)

    def __call__(self, x):
        y = x @ self.weight  # [N, out]
        return y if self.bias is None else y + self.bias


def quantize_int8_rows(w_out_in):
    """Symmetric per-row (per output channel) INT8: (q [out, in] int8, scale [out])."""
    from .quantize_int8 import quantize_int8  # the week 9-10 quantization skill

    q, scale = quantize_int8(np.ascontiguousarray(w_out_in, np.float32), "row")
    return np.ascontiguousarray(q), np.ascontiguousarray(scale, np.float32).reshape(-1)


def quantize_int4_groups(w_out_in, group=INT4_GROUP):
    """Symmetric INT4 per group of `group` inputs: (packed [out, in/2] uint8 with
    nibble = q + 8 (element 2i in the low nibble), scale [out, in/group])."""
    from .quantize_int4 import quantize_int4

    packed, scale, _ = quantize_int4(np.ascontiguousarray(w_out_in, np.float32), group_size=group, symmetric=True)
    return np.ascontiguousarray(packed), np.ascontiguousarray(scale, np.float32)


@functools.lru_cache(maxsize=None)
def _kernels(family):
    """(ffi, lib) of a week 9-11 native kernel family, or None where it cannot be built."""
    try:
        from aigc_bench import native

        if native.unavailable_reason("avx2", "fma"):
            return None
        return native.load(family)
    except Exception:  # no compiler, build error: the NumPy path still works
        return None


# Up to this many rows (decode steps of a batch), the quantized product runs in the
# native kernels, which read the compact weights directly; a longer prefill
# dequantizes once and uses BLAS.
NATIVE_MAX_ROWS = 8


def _pointer(ffi, array, ctype):
    return ffi.cast(ctype, ffi.from_buffer(array))


class Int8Linear:
    """W8A16: INT8 weights (per output channel scale), float32 activations."""

    kind = "int8"

    def __init__(self, weight, bias):
        self.q, self.scale = quantize_int8_rows(np.asarray(weight, np.float32).T)  # [out, in], [out]
        self.bias = np.zeros(self.q.shape[0], np.float32) if bias is None else np.ascontiguousarray(bias, np.float32)

    @property
    def nbytes(self) -> int:
        return self.q.nbytes + self.scale.nbytes + self.bias.nbytes

    def dequantized(self):
        return (self.q.astype(np.float32) * self.scale[:, None]).T  # [in, out]

    def __call__(self, x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        kernels = _kernels("engine")
        if kernels is None or x.shape[0] > NATIVE_MAX_ROWS:
            return x @ self.dequantized() + self.bias
        ffi, lib = kernels  # native/engine.c: 4 weight rows per pass, each byte read once per step
        (m, k), n = x.shape, self.q.shape[0]
        y = np.empty((m, n), np.float32)
        lib.engine_w8a16(_pointer(ffi, x, "float *"), m, k, _pointer(ffi, self.q, "signed char *"), _pointer(ffi, self.scale, "float *"), n, _pointer(ffi, y, "float *"))
        return y + self.bias


class Int4Linear:
    """W4A16: INT4 weights in groups of 32 inputs, float32 activations."""

    kind = "int4"

    def __init__(self, weight, bias):
        self.packed, self.scale = quantize_int4_groups(np.asarray(weight, np.float32).T)  # [out, in/2], [out, groups]
        self.bias = np.zeros(self.packed.shape[0], np.float32) if bias is None else np.ascontiguousarray(bias, np.float32)

    @property
    def nbytes(self) -> int:
        return self.packed.nbytes + self.scale.nbytes + self.bias.nbytes

    def dequantized(self):
        from .quantize_int4 import dequantize_int4

        return dequantize_int4(self.packed, self.scale).T  # [in, out]

    def __call__(self, x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        int8 = _kernels("int8")
        if int8 is None or x.shape[0] > NATIVE_MAX_ROWS:
            return x @ self.dequantized() + self.bias
        ffi, lib = int8  # native/int8.c (the week 11 INT4 GEMV)
        (m, k), n = x.shape, self.packed.shape[0]
        y = np.empty((m, n), np.float32)
        w, s = _pointer(ffi, self.packed, "unsigned char *"), _pointer(ffi, self.scale, "float *")
        for row in range(m):
            status = lib.int4_gemv(w, k // 2, s, k // INT4_GROUP, _pointer(ffi, x[row], "float *"), _pointer(ffi, y[row], "float *"), n, k, INT4_GROUP, 0)
            if status != 0:
                raise RuntimeError(f"int4_gemv failed with status {status}")
        return y + self.bias


LINEAR_FOR = {"fp32": Linear, "int8": Int8Linear, "int4": Int4Linear}


# --------------------------------------------------------------------------- the model


@dataclass
class Layer:
    ln_1: tuple  # (weight, bias)
    c_attn: object  # [C] -> [3C]
    c_proj: object  # [C] -> [C]
    ln_2: tuple
    c_fc: object  # [C] -> [4C]
    mlp_proj: object  # [4C] -> [C]


@dataclass
class Model:
    config: GPTConfig
    weights: str  # "fp32" | "int8" | "int4"
    wte: np.ndarray  # [vocab, C] float32 embedding (rows are gathered, never multiplied)
    wpe: np.ndarray  # [n_ctx, C]
    layers: list[Layer] = field(repr=False)
    ln_f: tuple = field(repr=False)
    lm_head: object = field(repr=False)  # [C] -> [vocab], tied to wte (quantized with the rest)
    attention: str = "naive"  # "naive" | "flash": which attention runs over the cache

    @property
    def nbytes(self) -> int:
        """Bytes of weights read for one decode step (embeddings gather one row)."""
        return sum(l.nbytes for layer in self.layers for l in (layer.c_attn, layer.c_proj, layer.c_fc, layer.mlp_proj)) + self.lm_head.nbytes

    def new_cache(self, max_seq_len=None) -> KVCache:
        cfg = self.config
        return KVCache(max_seq_len or cfg.n_ctx, cfg.n_layer, cfg.n_head, cfg.head_dim)

    def truncated(self, n_layer: int) -> "Model":
        """A draft model: the first n_layer blocks, the same embeddings and head (weights shared)."""
        if not 1 <= n_layer <= self.config.n_layer:
            raise ValueError(f"a truncated copy needs 1..{self.config.n_layer} layers, got {n_layer}")
        return replace(self, config=replace(self.config, n_layer=n_layer), layers=self.layers[:n_layer])

    # ------------------------------------------------------------------ forward
    def forward(self, tokens, cache: KVCache, pos: int, all_logits: bool = True):
        """Run `tokens` (1-D) at positions pos.. of one sequence, appending their K/V to
        `cache`. Returns logits [T, vocab] (or only the last row [vocab])."""
        return self.forward_batch([tokens], [cache], [pos], all_logits)[0]

    def forward_batch(self, token_lists, caches, positions, all_logits=False):
        """Ragged batch: sequence i runs token_lists[i] at positions[i].. with caches[i].
        Returns, per sequence, logits [T_i, vocab] (all_logits) or [vocab] (the last)."""
        cfg = self.config
        tokens = [np.asarray(t, dtype=np.int64).reshape(-1) for t in token_lists]
        lengths = [len(t) for t in tokens]
        for t, pos in zip(tokens, positions):
            if len(t) == 0:
                raise ValueError("every sequence in a step needs at least one token")
            if pos + len(t) > cfg.n_ctx:
                raise ValueError(f"positions up to {pos + len(t)} exceed the context of {cfg.n_ctx}")
            if t.min() < 0 or t.max() >= cfg.vocab_size:
                raise ValueError(f"token ids must lie in [0, {cfg.vocab_size})")
        bounds = np.cumsum([0] + lengths)
        x = self.wte[np.concatenate(tokens)] + self.wpe[self.position_ids(positions, lengths)]  # [N, C]
        eps = cfg.layer_norm_epsilon
        for li, layer in enumerate(self.layers):
            qkv = layer.c_attn(layer_norm(x, *layer.ln_1, eps))  # [N, 3C]
            y = np.empty_like(x)  # [N, C]
            for s, (cache, pos) in enumerate(zip(caches, positions)):
                rows = slice(bounds[s], bounds[s + 1])
                q, k, v = (split_heads(t, cfg.n_head) for t in np.split(qkv[rows], 3, axis=-1))  # [H, T, D]
                cache.update_k(li, np.swapaxes(k, 0, 1), pos)  # cache takes [T, H, D]
                cache.update_v(li, np.swapaxes(v, 0, 1), pos)
                y[rows] = merge_heads(self._attend(q, cache.get_k(li), cache.get_v(li)))  # [T, C]
            x = x + layer.c_proj(y)
            x = x + layer.mlp_proj(gelu_new(layer.c_fc(layer_norm(x, *layer.ln_2, eps))))
        if not all_logits:
            x = x[bounds[1:] - 1]  # the last row of every sequence: [S, C]
        logits = self.lm_head(layer_norm(x, *self.ln_f, eps))  # [N or S, vocab]
        if all_logits:
            return [logits[bounds[s] : bounds[s + 1]] for s in range(len(tokens))]
        return list(logits)

    @staticmethod
    def position_ids(positions, lengths):
        """Absolute positions of the stacked rows: sequence i's rows are positions[i] .. + lengths[i]."""
        return np.concatenate([np.arange(p, p + n) for p, n in zip(positions, lengths)])

    def _attend(self, q, k, v):
        causal = q.shape[-2] > 1  # one decoded token sees every cached key: no mask to build
        if self.attention == "flash":
            from .flash_attention import flash_attention

            return flash_attention(q, k, v, causal=causal)
        return scaled_dot_product_attention(q, k, v, causal=causal)  # [H, T, D]

    def logits(self, tokens):
        """Full recomputation of one sequence without reuse: logits [T, vocab]."""
        tokens = np.asarray(tokens).reshape(-1)
        return self.forward(tokens, self.new_cache(len(tokens)), 0)


def model_from_params(params: GPT2Params, weights: str = "fp32", attention: str = "naive") -> Model:
    if weights not in WEIGHT_FORMATS:
        raise ValueError(f"weights must be one of {WEIGHT_FORMATS}, got {weights!r}")
    make = LINEAR_FOR[weights]
    layers = [
        Layer(
            (b["ln_1.weight"], b["ln_1.bias"]),
            make(b["attn.c_attn.weight"], b["attn.c_attn.bias"]),
            make(b["attn.c_proj.weight"], b["attn.c_proj.bias"]),
            (b["ln_2.weight"], b["ln_2.bias"]),
            make(b["mlp.c_fc.weight"], b["mlp.c_fc.bias"]),
            make(b["mlp.c_proj.weight"], b["mlp.c_proj.bias"]),
        )
        for b in params.blocks
    ]
    lm_head = make(params.lm_head.T, None)  # [C, vocab]: a transposed view for fp32, no copy of wte
    return Model(params.config, weights, params.wte, params.wpe, layers, (params.ln_f_weight, params.ln_f_bias), lm_head, attention)


SEEDED_INIT_STD = 0.12  # GPT-2's 0.02 makes a random model repeat one token; 0.12 gives varied output


def load_model(model_dir=None, config="small", seed=0, weights="fp32", attention="naive", init_std=SEEDED_INIT_STD) -> Model:
    """A model from a local HF GPT-2 checkpoint directory (config.json + *.safetensors),
    or, without model_dir, seeded random weights for `config` ("small", "tiny", "124M",
    a dict of GPT-2 config fields, or a GPTConfig), drawn with standard deviation init_std."""
    if model_dir is not None:
        if not Path(model_dir).is_dir():
            raise FileNotFoundError(f"model directory {model_dir} does not exist")
        params = load_gpt2(model_dir)
    else:
        if isinstance(config, str):
            if config not in CONFIGS:
                raise ValueError(f"unknown config {config!r}; choose one of {sorted(CONFIGS)} or pass a dict")
            config = CONFIGS[config]
        cfg = GPTConfig.from_any(config)
        params = gpt2_from_state_dict(cfg, random_state_dict(cfg, seed, init_std))
    return model_from_params(params, weights, attention)


# --------------------------------------------------------------------------- sampling and generation


def sample_token(logits, temperature=0.0, top_p=1.0, rng=None) -> int:
    """Greedy at temperature 0; otherwise a draw from softmax(logits / T) restricted to
    top_p (the week 1-2 sampling skill, impls/numpy/sampling.py)."""
    from .sampling import check_options, draw, sampling_distribution

    check_options(temperature, None, top_p)
    if temperature == 0:
        return int(np.argmax(logits))
    probs = sampling_distribution(logits, temperature, None, top_p)
    return int(draw(probs, rng if rng is not None else np.random.default_rng(), 1)[0])


def check_prompt(model: Model, prompt_ids, max_new_tokens: int) -> np.ndarray:
    ids = np.asarray(list(prompt_ids) if not isinstance(prompt_ids, np.ndarray) else prompt_ids)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError("the prompt must be a non-empty list of token ids")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"prompt token ids must be integers, got {ids.dtype}")
    if ids.min() < 0 or ids.max() >= model.config.vocab_size:
        raise ValueError(f"prompt token ids must lie in [0, {model.config.vocab_size})")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
    if ids.size + max_new_tokens > model.config.n_ctx:
        raise ValueError(f"{ids.size} prompt + {max_new_tokens} new tokens exceed the context of {model.config.n_ctx}")
    return ids.astype(np.int64)


def generate(model: Model, prompt_ids, max_new_tokens: int, temperature=0.0, top_p=1.0, seed=None) -> list[int]:
    """Generate with the KV cache: one prefill pass, then one decode pass per token."""
    ids = check_prompt(model, prompt_ids, max_new_tokens)
    rng = np.random.default_rng(seed)
    cache = model.new_cache(ids.size + max_new_tokens)
    logits = model.forward(ids, cache, 0, all_logits=False)  # prefill
    out = [sample_token(logits, temperature, top_p, rng)]
    while len(out) < max_new_tokens:
        logits = model.forward([out[-1]], cache, ids.size + len(out) - 1, all_logits=False)  # decode
        out.append(sample_token(logits, temperature, top_p, rng))
    return out


def static_batch_generate(model: Model, prompts, max_new_tokens: int) -> list[list[int]]:
    """Static batching, the textbook way: prompts left-padded to one length, run as a
    batch until every request is done. Padding positions are masked out of attention
    and position ids count from each prompt's own first token, so every request gets
    exactly the tokens it would get alone. Greedy."""
    checked = [check_prompt(model, p, max_new_tokens) for p in prompts]
    cfg = model.config
    B, T = len(checked), max(len(p) for p in checked)
    pad = np.array([T - len(p) for p in checked])  # left padding per row
    total = T + max_new_tokens
    ids = np.zeros((B, total), np.int64)
    for b, p in enumerate(checked):
        ids[b, pad[b] : T] = p
    k_cache = np.zeros((cfg.n_layer, B, cfg.n_head, total, cfg.head_dim), np.float32)
    v_cache = np.zeros_like(k_cache)
    valid = np.arange(total)[None, :] >= pad[:, None]  # [B, total]: False on padding
    positions = np.maximum(np.arange(total)[None, :] - pad[:, None], 0)  # [B, total]
    eps = cfg.layer_norm_epsilon
    start, end = 0, T
    for step in range(max_new_tokens):
        x = model.wte[ids[:, start:end]] + model.wpe[positions[:, start:end]]  # [B, t, C]
        t = end - start
        for li, layer in enumerate(model.layers):
            qkv = layer.c_attn(layer_norm(x, *layer.ln_1, eps).reshape(B * t, -1)).reshape(B, t, -1)
            q, k, v = (split_heads(a, cfg.n_head) for a in np.split(qkv, 3, axis=-1))  # [B, H, t, D]
            k_cache[li, :, :, start:end], v_cache[li, :, :, start:end] = k, v
            mask = valid[:, None, None, :end]  # [B, 1, 1, end]: padding is never attended to
            y = merge_heads(scaled_dot_product_attention(q, k_cache[li, :, :, :end], v_cache[li, :, :, :end], mask=mask, causal=True))
            x = x + layer.c_proj(y.reshape(B * t, -1)).reshape(B, t, -1)
            h = layer.c_fc(layer_norm(x, *layer.ln_2, eps).reshape(B * t, -1))
            x = x + layer.mlp_proj(gelu_new(h)).reshape(B, t, -1)
        logits = model.lm_head(layer_norm(x[:, -1], *model.ln_f, eps))  # [B, vocab]
        ids[:, end] = np.argmax(logits, axis=-1)
        start, end = end, end + 1
    return [ids[b, T:].tolist() for b in range(B)]


# --------------------------------------------------------------------------- continuous batching


@dataclass
class Request:
    id: int
    prompt: np.ndarray
    max_new_tokens: int
    temperature: float
    top_p: float
    stop_ids: frozenset
    rng: np.random.Generator
    cache: KVCache | None = None
    generated: list = field(default_factory=list)

    @property
    def length(self) -> int:
        """Tokens whose K/V are in the cache."""
        return 0 if self.cache is None else self.cache.length


class Engine:
    """Continuous batching over one model. Not thread-safe: call from one thread
    (a server runs `step()` in one worker and hands results to its clients)."""

    def __init__(self, model: Model, max_batch: int = 8):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.model = model
        self.max_batch = max_batch
        self.waiting: list[Request] = []  # first come, first served
        self.running: list[Request] = []
        self._ids = itertools.count()

    def add_request(self, prompt_ids, max_new_tokens, temperature=0.0, top_p=1.0, seed=None, stop_ids=()) -> int:
        from .sampling import check_options

        prompt = check_prompt(self.model, prompt_ids, max_new_tokens)
        check_options(temperature, None, top_p)
        request = Request(next(self._ids), prompt, int(max_new_tokens), float(temperature), float(top_p), frozenset(int(s) for s in stop_ids), np.random.default_rng(seed))
        self.waiting.append(request)
        return request.id

    def abort(self, request_id) -> bool:
        """Drop a waiting or running request (its cache is freed); False when unknown."""
        for queue in (self.waiting, self.running):
            for r in queue:
                if r.id == request_id:
                    queue.remove(r)
                    r.cache = None
                    return True
        return False

    def has_work(self) -> bool:
        return bool(self.waiting or self.running)

    @property
    def cache_bytes(self) -> int:
        return sum(r.cache.nbytes for r in self.running if r.cache is not None)

    def step(self) -> list[tuple[int, int, bool]]:
        """One forward pass: newly admitted requests prefill, running ones decode one
        token. Returns (request_id, token, finished) for every request that ran; a
        request finishes on max_new_tokens, on a stop id (that token is reported), or
        at the context limit, and leaves the batch."""
        while self.waiting and len(self.running) < self.max_batch:
            r = self.waiting.pop(0)
            r.cache = self.model.new_cache(min(self.model.config.n_ctx, r.prompt.size + r.max_new_tokens))
            self.running.append(r)
        if not self.running:
            return []
        batch = list(self.running)
        inputs = [r.prompt if r.length == 0 else [r.generated[-1]] for r in batch]
        logits = self.model.forward_batch(inputs, [r.cache for r in batch], [r.length for r in batch])
        results = []
        for r, row in zip(batch, logits):
            token = sample_token(row, r.temperature, r.top_p, r.rng)
            r.generated.append(token)
            finished = len(r.generated) >= r.max_new_tokens or token in r.stop_ids or r.prompt.size + len(r.generated) >= self.model.config.n_ctx
            if finished:
                self.running.remove(r)
                r.cache = None  # free the request's KV memory
            results.append((r.id, token, finished))
        return results

    def run(self) -> dict[int, list[int]]:
        """Step until every request is done; the tokens of each request."""
        out: dict[int, list[int]] = {}
        while self.has_work():
            for rid, token, _ in self.step():
                out.setdefault(rid, []).append(token)
        return out
