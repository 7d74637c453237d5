"""Counting the matmul FLOPs of a GPT-2-style model (2 FLOPs per multiply-accumulate).

Per token and layer the weights cost 24 d^2 (QKV 6d^2, output projection 2d^2,
MLP 8d^2 + 8d^2): twice the layer's 12 d^2 parameters. Attention adds 4 c d for
a query that sees c keys (q k^T and weights @ v, 2 c d each)."""

REQUIRED_KEYS = ("n_layer", "n_head", "d_model", "vocab_size", "n_ctx")


def check_config(config):
    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise ValueError(f"config lacks {', '.join(missing)} (needs {', '.join(REQUIRED_KEYS)})")
    if any(int(config[k]) < 1 for k in REQUIRED_KEYS):
        raise ValueError(f"every config size must be >= 1, got {dict(config)}")
    if config["d_model"] % config["n_head"]:
        raise ValueError(f"d_model {config['d_model']} is not a multiple of n_head {config['n_head']}")
    return int(config["n_layer"]), int(config["d_model"]), int(config["vocab_size"]), int(config["n_ctx"])


def layer_flops(d_model, n_queries, n_keys_total):
    """One layer: weights for n_queries tokens, attention for n_keys_total (query, key) pairs."""
    weights = 24 * n_queries * d_model**2  # QKV + output projection + MLP
    attention = 4 * n_keys_total * d_model  # scores and weighted values, 2 FLOPs per MAC each
    return weights + attention


def prefill_flops(config, n_prompt, last_logits_only=False):
    n_layer, d_model, vocab, n_ctx = check_config(config)
    if not 1 <= n_prompt <= n_ctx:
        raise ValueError(f"n_prompt must be in 1..n_ctx={n_ctx}, got {n_prompt}")
    # every query multiplies against every key: the causal mask saves nothing in a dense matmul
    layers = n_layer * layer_flops(d_model, n_prompt, n_prompt * n_prompt)
    lm_head = 2 * d_model * vocab * (1 if last_logits_only else n_prompt)
    return layers + lm_head


def generation_flops(config, n_prompt, n_new=100):
    n_layer, d_model, vocab, n_ctx = check_config(config)
    if n_new < 1 or n_prompt < 1:
        raise ValueError(f"need n_prompt >= 1 and n_new >= 1, got {n_prompt} and {n_new}")
    if n_prompt + n_new - 1 > n_ctx:
        raise ValueError(f"n_prompt + n_new - 1 = {n_prompt + n_new - 1} tokens exceed the context n_ctx={n_ctx}")
    total = prefill_flops(config, n_prompt, last_logits_only=True)  # yields the first new token
    for context in range(n_prompt + 1, n_prompt + n_new):  # each later token: one cached step
        total += n_layer * layer_flops(d_model, 1, context) + 2 * d_model * vocab
    return total
