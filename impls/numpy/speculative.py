"""Speculative decoding, greedy (stage 4), over engine models (impls/numpy/engine.py).

Each round the cheap draft proposes k tokens one by one; the target then
scores the last accepted token and all k proposals in ONE forward pass. The
target's own greedy choice at each position decides: proposals are accepted
while they equal it; at the first mismatch the target's token is taken
instead; when all k match, the target's next token comes free (the "bonus").
Every emitted token is the target's argmax given the tokens before it, so the
output equals target-only greedy decoding exactly, whatever the draft does;
the draft only changes how many target passes it takes.

Rejected positions are rolled back by truncating the KV caches.
"""

from __future__ import annotations

import numpy as np

from .engine import check_prompt


def accept_proposals(proposals, choices):
    """(accepted, tokens to append): proposals are kept while they equal the target's
    choices (len(proposals) + 1 of them); then the target's own token follows: the
    correction at the first mismatch, or the bonus token when all matched."""
    accepted = 0
    while accepted < len(proposals) and proposals[accepted] == choices[accepted]:
        accepted += 1
    return accepted, proposals[:accepted] + [int(choices[accepted])]


def speculative_generate(target, draft, prompt_ids, max_new_tokens, k):
    if int(k) != k or k < 1:
        raise ValueError(f"k (tokens proposed per round) must be a positive integer, got {k!r}")
    if draft.config.vocab_size != target.config.vocab_size:
        raise ValueError(f"the draft's vocabulary ({draft.config.vocab_size}) differs from the target's ({target.config.vocab_size})")
    prompt = check_prompt(target, prompt_ids, max_new_tokens)
    total = prompt.size + max_new_tokens
    target_cache, draft_cache = target.new_cache(total), draft.new_cache(total)
    seq = prompt.tolist()
    seq.append(int(np.argmax(target.forward(prompt, target_cache, 0, all_logits=False))))  # prefill gives token 1
    stats = {"proposed": 0, "accepted": 0, "target_passes": 1, "rounds": 0}
    while len(seq) < total:
        n = len(seq)  # the last token, seq[n-1], is in neither cache yet
        kk = min(int(k), total - n)
        proposals = []
        for _ in range(kk):  # the draft catches up on what it has not seen, then proposes
            fed = draft_cache.length
            logits = draft.forward((seq + proposals)[fed:], draft_cache, fed, all_logits=False)
            proposals.append(int(np.argmax(logits)))
        fed = target_cache.length
        rows = target.forward((seq + proposals)[fed:], target_cache, fed, all_logits=True)  # one verification pass
        choices = np.argmax(rows[n - 1 - fed :], axis=-1)  # target's pick after seq[n-1], props[0], ...
        accepted, new_tokens = accept_proposals(proposals, choices)
        seq += new_tokens
        stats["proposed"] += kk
        stats["accepted"] += accepted
        stats["target_passes"] += 1
        stats["rounds"] += 1
        valid = n + accepted  # positions whose K/V came from tokens that stayed
        target_cache.truncate(min(target_cache.length, valid))
        draft_cache.truncate(min(draft_cache.length, valid))
    stats["acceptance_rate"] = stats["accepted"] / stats["proposed"] if stats["proposed"] else 1.0
    return seq[prompt.size : total], stats
