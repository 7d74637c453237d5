"""Contracts of the week 12 inference skills (roadmap Day 78-84) and stage 4.

The engine's model protocol (what `load_model` returns, and what the batching
and speculative-decoding contracts receive):

    model.config          .vocab_size, .n_ctx, .n_layer, .n_head, .n_embd
    model.new_cache(max_seq_len=None) -> a KV cache (the week 9-10 KVCache
                          contract, plus .length and .truncate(length))
    model.forward(tokens, cache, pos, all_logits=True)
                          runs the 1-D int `tokens` at positions pos.. of one
                          sequence, appending their keys/values to `cache`
                          (which must hold exactly pos positions); returns
                          float32 logits [T, vocab] (all_logits) or the last
                          row [vocab]. ValueError past n_ctx or for bad ids.
    model.truncated(n_layer) -> the same model with only its first n_layer
                          blocks (shares weights): the speculative draft.
"""

from aigc_bench.contract import Skill

engine_skill = Skill(
    "engine",
    weeks=(12,),
    summary="GPT-2 inference end to end: prefill and decode with a KV cache, fp32/INT8/INT4 weights, static and continuous batching",
    roadmap="Day 78-80: full attention, multi-layer transformer, end-to-end inference checked against PyTorch; Day 84: batching; stage 4: continuous batching",
    reference_functions=("transformers.GPT2LMHeadModel.forward", "transformers.GPT2LMHeadModel.generate"),
)


@engine_skill.function
def load_model(model_dir=None, config="small", seed=0, weights="fp32"):
    """A model (see the protocol above) from a local HF GPT-2 checkpoint directory
    (config.json + *.safetensors), or, without model_dir, seeded random weights for
    `config`: "small" (vocab 30522, context 512), "tiny", "124M", or a dict of GPT-2
    config fields (HF names accepted). weights: "fp32", "int8" (per output channel,
    symmetric) or "int4" (groups of 32, symmetric). Raises FileNotFoundError for a
    missing directory, ValueError for an unknown config or weight format.
    """
    raise NotImplementedError


@engine_skill.function
def generate(model, prompt_ids, max_new_tokens, temperature=0.0, top_p=1.0, seed=None):
    """Generate with the KV cache: one prefill pass over the prompt, then one decode
    pass per new token. Temperature 0 is greedy (argmax). Returns a list of
    max_new_tokens ints. Raises ValueError for an empty prompt, ids outside the
    vocabulary, max_new_tokens < 1, or prompt + new tokens beyond n_ctx.
    """
    raise NotImplementedError


@engine_skill.function
def static_batch_generate(model, prompts, max_new_tokens):
    """Static batching: the prompts (lists of ids, different lengths) padded to one
    length and run as one batch until all are done; greedy. Returns one list of
    max_new_tokens ints per prompt, each equal to what `generate` gives that prompt
    alone (padding must not change anything: mask it, and count positions from each
    prompt's own first token)."""
    raise NotImplementedError


@engine_skill.function
class Engine:
    """Continuous batching. Engine(model, max_batch=8).

    add_request(prompt_ids, max_new_tokens, temperature=0.0, top_p=1.0, seed=None,
                stop_ids=()) -> request id (int); validates like `generate`.
    step() -> [(request_id, token_id, finished), ...]: one forward pass in which
        requests admitted now (FIFO, up to max_batch running) prefill and the
        others decode one token. A request finishes after max_new_tokens, on a
        token in stop_ids (reported, finished=True) or at n_ctx, and leaves.
    abort(request_id) -> bool; has_work() -> bool.
    Each request samples with its own generator seeded by `seed`, so its tokens do
    not depend on what else is in the batch: greedy requests get exactly
    `generate`'s tokens.
    """


flash_skill = Skill(
    "flash_attention",
    weeks=(12,),
    summary="exact attention in tiles with an online softmax, never holding the n x n scores",
    roadmap="Day 81: Flash Attention (tiling, memory); stage 4: FlashAttention-2",
    reference_functions=("torch.nn.functional.scaled_dot_product_attention",),
)


@flash_skill.function
def flash_attention(q, k, v, causal=False, block_size=64):
    """softmax(q k^T / sqrt(d)) v computed block_size keys (and queries) at a time.

    q: [..., Lq, d], k: [..., Lk, d], v: [..., Lk, dv], float32 or float64; returns
    [..., Lq, dv] in q's dtype. causal: query i sees keys j <= i + (Lk - Lq) (as in
    the week 1-2 attention contract; rows that see nothing give zeros). Extra
    memory is O(block_size * (Lq + Lk)) per head, never O(Lq * Lk). Raises
    ValueError for mismatched shapes or block_size < 1.
    """
    raise NotImplementedError


paged_skill = Skill(
    "paged_attention",
    weeks=(12,),
    summary="a KV cache of fixed-size blocks behind per-sequence block tables, and attention over it",
    roadmap="Day 82-83: PagedAttention (paged KV cache, dynamic memory management)",
)


@paged_skill.function
class PagedKVCache:
    """PagedKVCache(num_blocks, block_size, n_layers, n_heads, head_dim): a pool of
    num_blocks blocks, each block_size positions of K and V for every layer.

    add_sequence(seq_id); free(seq_id) returns its blocks to the pool;
    append(seq_id, layer, k, v): k, v [t, n_heads, head_dim] at the layer's next t
        positions, taking free blocks as needed (MemoryError when none are left;
        KeyError for an unknown sequence; ValueError for a wrong shape);
    block_table(seq_id) -> list of physical block ids; length(seq_id, layer=0);
    gather(seq_id, layer) -> (k, v) [n_heads, length, head_dim] copies;
    num_free_blocks; nbytes; utilisation() -> positions held / positions allocated.
    """


@paged_skill.function
def paged_attention(q, cache, seq_id, layer, causal=True):
    """Attention of q [n_heads, Tq, head_dim], the sequence's last Tq positions, over
    its keys/values in `layer`, read through the block table (not gathered into a
    contiguous copy). Returns [n_heads, Tq, head_dim]. Raises ValueError when q's
    shape does not fit or Tq exceeds the sequence's length."""
    raise NotImplementedError


speculative_skill = Skill(
    "speculative",
    weeks=(12,),
    summary="speculative decoding: a draft proposes k tokens, the target verifies them in one pass",
    roadmap="stage 4: speculative decoding (draft model, parallel verification)",
)


@speculative_skill.function
def speculative_generate(target, draft, prompt_ids, max_new_tokens, k):
    """Greedy speculative decoding with two engine models (protocol above).

    Each round the draft proposes up to k tokens; the target runs the pending token
    and all proposals in ONE forward call; proposals are kept while they equal the
    target's argmax, then the target's own token is appended (a correction, or a
    bonus token when all k were kept); rejected positions are rolled back with
    cache.truncate. The result must equal target-only greedy `generate` exactly.
    Returns (tokens: list of max_new_tokens ints, stats: dict with "proposed",
    "accepted", "target_passes", "acceptance_rate"). Raises ValueError for k < 1
    or vocabularies that differ.
    """
    raise NotImplementedError
