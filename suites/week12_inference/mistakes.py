"""Common mistakes in the week 12 inference skills (each must fail the suite)."""

import copy
from unittest import mock

import numpy as np

from impls.numpy import engine as _engine
from impls.numpy import flash_attention as _flash
from impls.numpy import paged_attention as _paged
from impls.numpy import speculative as _speculative
from impls.numpy.kv_cache import KVCache as _KVCache

from .contract import engine_skill, flash_skill, paged_skill, speculative_skill

# --------------------------------------------------------------------------- engine


class _PositionsFromZero(_engine.Model):
    @staticmethod
    def position_ids(positions, lengths):
        return np.concatenate([np.arange(n) for n in lengths])


class _DecodeWithoutOwnKey(_engine.Model):
    def _attend(self, q, k, v):
        new = q.shape[-2]
        if k.shape[-2] == new:  # prefill of a fresh sequence: right
            return super()._attend(q, k, v)
        return super()._attend(q, k[:, :-new], v[:, :-new])


@engine_skill.mistake("load_model", "position embeddings counted from 0 at every decode step (the cache's offset is ignored)")
def engine_positions_restart_at_zero(*args, **kwargs):
    return _PositionsFromZero(**vars(_engine.load_model(*args, **kwargs)))


@engine_skill.mistake("load_model", "decode attends to the cached keys but not to the new token's own key and value")
def engine_decode_skips_own_key(*args, **kwargs):
    return _DecodeWithoutOwnKey(**vars(_engine.load_model(*args, **kwargs)))


@engine_skill.mistake("static_batch_generate", "prompts padded on the right, with the next token read from the pad position")
def engine_static_batch_right_padding(model, prompts, max_new_tokens):
    width = max(len(p) for p in prompts)
    out = []
    for prompt in prompts:
        seq = list(prompt) + [0] * (width - len(prompt))
        for _ in range(max_new_tokens):
            seq.append(int(np.argmax(model.logits(seq)[-1])))
        out.append(seq[width:])
    return out


@engine_skill.mistake("Engine", "one random generator shared by every request (a request's samples depend on the batch)")
class EngineWithOneSharedGenerator(_engine.Engine):
    def add_request(self, *args, **kwargs):
        request_id = super().add_request(*args, **kwargs)
        self.__dict__.setdefault("shared_rng", np.random.default_rng(0))
        self.waiting[-1].rng = self.shared_rng
        return request_id


# --------------------------------------------------------------------------- flash attention


def _step_without_rescale(m, l, acc, scores, v_tile):
    m_new = np.maximum(m, scores.max(axis=-1))
    p = np.exp(scores - np.where(np.isneginf(m_new), 0.0, m_new)[..., None])
    return m_new, l + p.sum(axis=-1), acc + p @ v_tile  # earlier tiles keep their old maximum


@flash_skill.mistake("flash_attention", "the running sum and output are not rescaled when a later tile raises the maximum")
def flash_without_rescale(q, k, v, causal=False, block_size=64):
    with mock.patch.object(_flash, "online_softmax_step", _step_without_rescale):
        return _flash.flash_attention(q, k, v, causal, block_size)


@flash_skill.mistake("flash_attention", "the causal mask inside a tile ignores the offset of cached keys (aligns query i with key i)")
def flash_mask_without_offset(q, k, v, causal=False, block_size=64):
    aligned = lambda qs, qe, ks, ke, offset: np.arange(ks, ke)[None, :] <= np.arange(qs, qe)[:, None]  # noqa: E731
    with mock.patch.object(_flash, "causal_tile_mask", aligned):
        return _flash.flash_attention(q, k, v, causal, block_size)


@flash_skill.mistake("flash_attention", "the full n x n score matrix is computed (correct, but not flash attention)")
def flash_materialises_scores(q, k, v, causal=False, block_size=64):
    from impls.numpy.attention import scaled_dot_product_attention

    if block_size < 1:
        raise ValueError("block_size must be positive")
    return scaled_dot_product_attention(q, k, v, causal=causal)


# --------------------------------------------------------------------------- paged attention


@paged_skill.mistake("paged_attention", "logical block i read from physical block i, ignoring the block table")
def paged_ignores_block_table(q, cache, seq_id, layer, causal=True):
    view = copy.copy(cache)
    view.tables = {**cache.tables, seq_id: list(range(len(cache.tables.get(seq_id, []))))}
    return _paged.paged_attention(q, view, seq_id, layer, causal)


@paged_skill.mistake("paged_attention", "the whole last block is attended to, past the sequence's length (stale slots)")
def paged_reads_whole_last_block(q, cache, seq_id, layer, causal=True):
    view = copy.copy(cache)
    lengths = cache.lengths[seq_id].copy()
    lengths[layer] = len(cache.tables[seq_id]) * cache.block_size
    view.lengths = {**cache.lengths, seq_id: lengths}
    return _paged.paged_attention(q, view, seq_id, layer, causal)


@paged_skill.mistake("PagedKVCache", "free() forgets the sequence but never returns its blocks to the pool")
class PagedKVCacheLeaksBlocks(_paged.PagedKVCache):
    def free(self, seq_id):
        self._sequence(seq_id)
        del self.tables[seq_id], self.lengths[seq_id]


# --------------------------------------------------------------------------- speculative decoding


def _keep_draft_token(proposals, choices):
    accepted, tokens = _speculative.accept_proposals(proposals, choices)
    return accepted, proposals[: accepted + 1] if accepted < len(proposals) else tokens


def _drop_bonus(proposals, choices):
    accepted, tokens = _speculative.accept_proposals(proposals, choices)
    return accepted, tokens[: len(proposals)] if accepted == len(proposals) else tokens


@speculative_skill.mistake("speculative_generate", "at the first mismatch the draft's token is kept instead of the target's")
def speculative_keeps_draft_token(target, draft, prompt_ids, max_new_tokens, k):
    with mock.patch.object(_speculative, "accept_proposals", _keep_draft_token):
        return _speculative.speculative_generate(target, draft, prompt_ids, max_new_tokens, k)


@speculative_skill.mistake("speculative_generate", "the bonus token is dropped when all k proposals are accepted")
def speculative_drops_bonus_token(target, draft, prompt_ids, max_new_tokens, k):
    with mock.patch.object(_speculative, "accept_proposals", _drop_bonus):
        return _speculative.speculative_generate(target, draft, prompt_ids, max_new_tokens, k)


class _NoRollbackCache(_KVCache):
    def truncate(self, length):
        pass  # rejected positions stay in the cache


def _without_rollback(model):
    cfg = model.config
    clone = copy.copy(model)
    clone.new_cache = lambda max_seq_len=None: _NoRollbackCache(max_seq_len or cfg.n_ctx, cfg.n_layer, cfg.n_head, cfg.head_dim)
    return clone


@speculative_skill.mistake("speculative_generate", "rejected positions are not rolled back in the KV caches")
def speculative_without_rollback(target, draft, prompt_ids, max_new_tokens, k):
    return _speculative.speculative_generate(_without_rollback(target), _without_rollback(draft), prompt_ids, max_new_tokens, k)
