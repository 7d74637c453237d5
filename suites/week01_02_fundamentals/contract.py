"""Contracts of the week 1-2 skills (roadmap Day 1-14: LLM fundamentals).

Shapes use NumPy conventions: `[..., n]` means any leading batch dimensions.
Unless a contract says otherwise, functions accept float32 and float64 arrays
(C-contiguous or not), return arrays of the input's dtype, and never modify
their inputs.
"""

from aigc_bench.contract import Skill

softmax_skill = Skill(
    "softmax",
    weeks=(1, 2),
    summary="numerically stable softmax and its gradient",
    roadmap="Day 8-10: derive the softmax gradient",
    reference_functions=("torch.softmax", "torch.nn.functional.softmax", "torch.Tensor.softmax"),
)


@softmax_skill.function
def softmax(x, axis=-1):
    """Softmax of `x` along `axis`: exp(x - max) / sum(exp(x - max)).

    x: float32/float64 array [..., n]; returns the same shape and dtype, each
    slice along `axis` non-negative and summing to 1. Must not overflow for
    large logits (|x| up to 1e4): subtract the maximum first.
    """
    raise NotImplementedError


@softmax_skill.function
def softmax_backward(y, grad_y, axis=-1):
    """The gradient of a loss with respect to softmax's input, given y = softmax(x)
    and grad_y = dL/dy:  dL/dx = y * (grad_y - sum(grad_y * y, axis, keepdims=True)).

    y, grad_y: arrays of the same shape and dtype; returns that shape and dtype.
    Raises ValueError when the shapes differ.
    """
    raise NotImplementedError


attention_skill = Skill(
    "attention",
    weeks=(1, 2),
    summary="scaled dot-product attention with causal and padding masks",
    roadmap="Day 1-2: self-attention; checkpoint: explain Q, K, V",
    reference_functions=("torch.nn.functional.scaled_dot_product_attention",),
)


@attention_skill.function
def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    """softmax(q @ k^T / sqrt(d) + bias) @ v.

    q: [..., Lq, d], k: [..., Lk, d], v: [..., Lk, dv] (same dtype, float32 or
    float64; leading dimensions equal). Returns [..., Lq, dv] in that dtype.

    mask: optional boolean array broadcastable to [..., Lq, Lk]; True means
    "may attend", False positions get probability 0 (a padding mask).
    causal: query i attends to keys j <= i + (Lk - Lq) (the last query sees
    every key; with Lq == Lk, the usual lower triangle).
    A query row with no allowed key returns zeros (not NaN).

    Raises ValueError when the shapes do not fit (d of q and k, Lk of k and v).
    """
    raise NotImplementedError


# --------------------------------------------------------------------------- positional encodings

positional_skill = Skill(
    "positional",
    weeks=(1, 2),
    summary="sinusoidal positional encoding and rotary position embedding (RoPE)",
    roadmap="Day 3-4: positional encoding (sinusoidal, RoPE)",
    reference_functions=(
        "transformers.models.llama.modeling_llama.apply_rotary_pos_emb",
        "transformers.models.gptj.modeling_gptj.apply_rotary_pos_emb",
    ),
)


@positional_skill.function
def sinusoidal_encoding(n_positions, d_model, base=10000.0):
    """The fixed positional encoding of "Attention Is All You Need", float64 [n_positions, d_model].

    Positions p = 0 .. n_positions-1 (the first token is position 0). Column j
    uses the frequency  w_j = base ** (-2 * (j // 2) / d_model):
        PE[p, 2i]   = sin(p * w_2i)
        PE[p, 2i+1] = cos(p * w_2i)
    Odd d_model: the formula above is simply evaluated for j = 0 .. d_model-1,
    so the last column is a sine (its cosine partner is dropped); the exponent
    still divides by d_model (not d_model+1).

    Raises ValueError when n_positions < 1, d_model < 1 or base <= 1.
    """
    raise NotImplementedError


@positional_skill.function
def apply_rope(x, positions=None, base=10000.0, interleaved=False):
    """Rotary position embedding: rotate each pair of features of `x` by the angle
    position * w_i, with w_i = base ** (-2i / head_dim), i = 0 .. head_dim/2 - 1.

    x: float32/float64 [..., L, head_dim] (queries or keys of one head or many);
    positions: integers [L] (the position of each row; default 0 .. L-1, e.g. an
    offset range for the new tokens of a KV cache). Returns x's shape and dtype.

    Which features form pair i (both conventions rotate (a, b) to
    (a cos - b sin, a sin + b cos)):
      interleaved=False (HF Llama, "rotate_half"): a = x[..., i], b = x[..., i + head_dim/2];
      interleaved=True (GPT-J, "rotate_every_two"): a = x[..., 2i], b = x[..., 2i+1].
    So q.k after RoPE depends on the positions only through their difference.

    Raises ValueError when head_dim is odd or len(positions) != L.
    """
    raise NotImplementedError


# --------------------------------------------------------------------------- normalisation

norms_skill = Skill(
    "norms",
    weeks=(1, 2),
    summary="LayerNorm and RMSNorm over the last axis",
    roadmap="Day 5-7: the transformer block (LayerNorm, RMSNorm, residuals)",
    reference_functions=("torch.nn.functional.layer_norm", "torch.nn.functional.rms_norm", "torch.layer_norm", "torch.rms_norm"),
)


@norms_skill.function
def layer_norm(x, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last axis.

    x: float32/float64 [..., d]; weight, bias: optional [d] (default 1 and 0).
    var is the biased (population) variance, mean((x - mean)**2), as
    torch.nn.LayerNorm uses; eps goes inside the square root.
    Returns x's shape and dtype. Raises ValueError when weight or bias is not [d].
    """
    raise NotImplementedError


@norms_skill.function
def rms_norm(x, weight=None, eps=1e-6):
    """x / sqrt(mean(x**2) + eps) * weight over the last axis (no mean subtracted, no bias).

    x: float32/float64 [..., d]; weight: optional [d] (default 1).
    Returns x's shape and dtype. Raises ValueError when weight is not [d].
    """
    raise NotImplementedError


gelu_skill = Skill(
    "gelu",
    weeks=(1, 2),
    summary="GELU activation, exact (erf) and tanh approximation",
    roadmap="Day 5-7: the transformer block's MLP",
    reference_functions=("torch.nn.functional.gelu",),
)


@gelu_skill.function
def gelu(x, approximate="none"):
    """GELU, elementwise, returning x's shape and dtype.

    approximate="none": the exact  x * (1 + erf(x / sqrt(2))) / 2  (torch's default);
    approximate="tanh": x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3))) / 2
    (GPT-2's "gelu_new"). Must not overflow for |x| up to 1e4.
    Raises ValueError for any other `approximate`.
    """
    raise NotImplementedError


# --------------------------------------------------------------------------- sampling

sampling_skill = Skill(
    "sampling",
    weeks=(1, 2),
    summary="greedy decoding, temperature, top-k and top-p (nucleus) sampling",
    roadmap="Day 11-14: decoding strategies",
)


@sampling_skill.function
def greedy(logits):
    """The most likely token: int64 [...] for logits [..., V] (ties: the lowest token id).

    Raises ValueError on NaN logits or V == 0.
    """
    raise NotImplementedError


@sampling_skill.function
def sampling_distribution(logits, temperature=1.0, top_k=None, top_p=None):
    """The distribution `sample` draws from: float64 [..., V], each row summing to 1.

    Steps, in this order (as HF generate's logits warpers):
    1. temperature: logits / temperature (before the softmax). temperature == 0
       means greedy: probability 1 on the token `greedy` picks.
    2. top_k: keep exactly the k tokens with the largest logits (ties: the lower
       token id wins); k >= V keeps all.
    3. top_p: sort the remaining probabilities in descending order (ties: lower
       token id first) and keep the shortest prefix whose cumulative probability
       is >= top_p: the token that crosses top_p is kept. top_p = 1 keeps all.
    Dropped tokens get probability exactly 0; the kept ones are renormalised.
    -inf logits are allowed (masked tokens) as long as one token is finite.

    Raises ValueError on NaN logits, all -inf, temperature < 0, top_k < 1 or not
    an integer, or top_p outside (0, 1].
    """
    raise NotImplementedError


@sampling_skill.function
def sample(logits, rng, n=1, temperature=1.0, top_k=None, top_p=None):
    """Draw `n` tokens per row from sampling_distribution(logits, temperature, top_k, top_p).

    logits: [..., V]; rng: a numpy.random.Generator, the only source of
    randomness (the same seed gives the same tokens). Returns int64 [..., n].
    Raises ValueError as sampling_distribution does, and for n < 1 or an rng
    that is not a numpy.random.Generator.
    """
    raise NotImplementedError


# --------------------------------------------------------------------------- FLOPs

flops_skill = Skill(
    "flops",
    weeks=(1, 2),
    summary="FLOPs of GPT prefill and of KV-cached generation",
    roadmap="Day 11-14 checkpoint: compute the FLOPs of generating 100 tokens",
)


@flops_skill.function
def prefill_flops(config, n_prompt, last_logits_only=False):
    """Matmul FLOPs of one forward pass of a GPT-2-style model over n_prompt tokens.

    config: a mapping with n_layer, n_head, d_model, vocab_size, n_ctx.
    FLOPs are counted as torch.utils.flop_counter.FlopCounterMode counts them:
    2*m*n*k per [m, k] x [k, n] matmul (one multiply + one add per MAC), only
    for matmuls (LayerNorm, GELU, softmax, embeddings and biases count 0).
    With d = d_model, L = n_layer, V = vocab_size, n = n_prompt:
        per layer:  24 * n * d**2      (QKV 6nd^2, output projection 2nd^2, MLP 16nd^2)
                  +  4 * n * n * d     (scores q k^T and weights @ v over all n keys;
                                        the causal mask saves nothing in a dense matmul)
        LM head:     2 * d * V * (1 if last_logits_only else n)
    i.e. about 2 * (non-embedding parameters) FLOPs per token plus attention.

    Returns an int. Raises ValueError when n_prompt < 1, n_prompt > n_ctx, or
    d_model is not a multiple of n_head.
    """
    raise NotImplementedError


@flops_skill.function
def generation_flops(config, n_prompt, n_new=100):
    """Matmul FLOPs of generating n_new tokens after an n_prompt-token prompt with a KV cache.

    = prefill_flops(config, n_prompt, last_logits_only=True)     (gives token 1)
      + one cached decode step for each of tokens 2 .. n_new: the step that
        feeds the token at position c-1 computes 24 d^2 per layer for its own
        projections and MLP, 4 c d per layer against the c cached keys/values
        (itself included), and 2 d V for its logits.
    This is what HF generate does (its prefill keeps only the last logits).

    Returns an int. Raises ValueError when n_new < 1, n_prompt < 1, or
    n_prompt + n_new - 1 > n_ctx (the last fed token must fit the context).
    """
    raise NotImplementedError


# --------------------------------------------------------------------------- GPT-2

gpt2_skill = Skill(
    "gpt2",
    weeks=(1, 2),
    summary="a GPT-2 transformer block, the whole forward pass and greedy generation",
    roadmap="Day 12-14: GPT-2 forward and text generation, checked against HF GPT2LMHeadModel",
    reference_functions=("transformers.GPT2LMHeadModel.forward", "transformers.GPT2LMHeadModel.generate"),
)


@gpt2_skill.function
def gpt2_from_state_dict(config, state_dict):
    """GPT-2 weights from an HF config and state dict, as the `params` the other functions take.

    config: a dict with vocab_size, n_positions (or n_ctx), n_layer, n_head,
    n_embd, layer_norm_epsilon (e.g. an HF GPT2Config's to_dict(); the suite
    passes a dict because touching transformers objects counts as calling the reference). state_dict: name -> array (NumPy
    or torch) with GPT2LMHeadModel's names, with or without the "transformer."
    prefix (hub checkpoints have none): wte.weight [V, C], wpe.weight [n_ctx, C],
    h.{i}.{BLOCK_KEY} (see transformer_block), ln_f.weight/bias [C], and
    optionally lm_head.weight [V, C]. GPT-2 ties the output head to wte: when
    lm_head.weight is absent, logits are h @ wte.T.
    params: whatever the implementation likes (float32). Raises KeyError for a
    missing weight and ValueError for a shape that contradicts the config.
    """
    raise NotImplementedError


@gpt2_skill.function
def load_gpt2(model_dir):
    """gpt2_from_state_dict from a local HF checkpoint directory: config.json plus
    *.safetensors (what `save_pretrained` writes). Raises FileNotFoundError naming
    the missing file."""
    raise NotImplementedError


@gpt2_skill.function
def transformer_block(x, block, n_head, eps=1e-5):
    """One GPT-2 block (pre-LayerNorm, causal self-attention, tanh-GELU MLP):

        x = x + c_proj(causal_attention(c_attn(ln_1(x))))
        x = x + mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2(x))))

    x: float [..., T, C]. block: dict of one block's weights with HF names and
    Conv1D layouts ([in, out], so a projection is x @ W + b): ln_1.weight,
    ln_1.bias, attn.c_attn.weight [C, 3C] (q, k, v side by side), attn.c_attn.bias,
    attn.c_proj.weight [C, C], attn.c_proj.bias, ln_2.weight, ln_2.bias,
    mlp.c_fc.weight [C, 4C], mlp.c_fc.bias, mlp.c_proj.weight [4C, C],
    mlp.c_proj.bias. Heads: C split into n_head slices of C // n_head.
    GELU is the tanh approximation HF calls "gelu_new". Returns [..., T, C] in
    the weights' dtype. Raises ValueError when x's last dimension is not C.
    """
    raise NotImplementedError


@gpt2_skill.function
def gpt2_forward(params, input_ids):
    """Logits of every position: wte[ids] + wpe[0..T-1] -> n_layer blocks -> ln_f -> @ lm_head.T.

    input_ids: int array [B, T], 1 <= T <= n_ctx, ids in [0, vocab_size).
    Returns float32 [B, T, vocab_size]. Raises ValueError for T > n_ctx or ids out
    of range, TypeError for non-integer ids.
    """
    raise NotImplementedError


@gpt2_skill.function
def greedy_generate(params, prompt_ids, max_new_tokens):
    """Greedy decoding: append argmax of the last position's logits, max_new_tokens times
    (what HF `generate(do_sample=False)` does, with no stop token).

    prompt_ids: non-empty 1-D ints. Returns int64 [max_new_tokens]: the new tokens
    only. Raises ValueError when prompt + new tokens exceed n_ctx.
    """
    raise NotImplementedError


# --------------------------------------------------------------------------- multi-head attention

mha_skill = Skill(
    "mha",
    weeks=(1, 2),
    summary="multi-head self-attention: projections, head split and merge, masks",
    roadmap="Day 3-4: implement Multi-Head Attention",
    reference_functions=(
        "torch.nn.functional.multi_head_attention_forward",
        "torch.nn.functional.scaled_dot_product_attention",
    ),
)


@mha_skill.function
def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, b_q=None, b_k=None, b_v=None, b_o=None, mask=None, causal=False):
    """Multi-head self-attention ("Attention Is All You Need", no dropout):

        q, k, v = x @ w_q + b_q, x @ w_k + b_k, x @ w_v + b_v    # [..., L, D]
        split each into n_heads heads of Dh = D // n_heads       # [..., n_heads, L, Dh]
        heads = softmax(q @ k^T / sqrt(Dh) + masks) @ v          # per head
        merged = heads back side by side (head h in columns h*Dh:(h+1)*Dh)  # [..., L, D]
        return merged @ w_o + b_o

    x: float32/float64 [..., L, D]. w_q, w_k, w_v, w_o: [D, D] applied as
    x @ w (input dimension first, like GPT-2's Conv1D; torch.nn.Linear stores
    the transpose). b_q, b_k, b_v, b_o: [D], or None for no bias.
    mask: optional boolean array broadcastable to [..., L, L] (x's leading
    dimensions), True = "may attend", the same for every head.
    causal: query i attends to keys j <= i. A query with no allowed key gets
    zeros from attention (so its output is b_o).
    Returns [..., L, D] in x's dtype.

    Raises ValueError when D is not divisible by n_heads or a weight or bias
    does not have the shape above.
    """
    raise NotImplementedError
