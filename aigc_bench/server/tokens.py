"""MiniLM's BERT WordPiece tokenizer for the server, without importing transformers.

The same tokenizer as `aigc_bench.models.minilm_tokenizer()` (the same
tokenizer.json, run by the Rust `tokenizers` library that transformers wraps),
with the few methods the server calls, under transformers' names. Loading it
this way takes a fraction of a second instead of importing transformers and
torch, which makes `aigc-bench serve` (and every test that starts one) ready
several seconds sooner. tests/test_server_units.py checks that both agree.
"""

from __future__ import annotations

from functools import lru_cache


class MiniLMTokens:
    def __init__(self):
        from tokenizers import Tokenizer

        from aigc_bench.models import minilm_dir

        path = str(minilm_dir() / "tokenizer.json")
        self._plain = Tokenizer.from_file(path)  # the file pads and truncates to 128: undo both
        self._plain.no_padding()
        self._plain.no_truncation()
        self._truncating = Tokenizer.from_file(path)
        self._truncating.no_padding()
        self.vocab_size = self._plain.get_vocab_size()

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return self._plain.encode(text, add_special_tokens=add_special_tokens).ids

    def decode(self, ids, skip_special_tokens: bool = True, clean_up_tokenization_spaces: bool = False) -> str:
        return self._plain.decode(list(ids), skip_special_tokens=skip_special_tokens)

    def convert_ids_to_tokens(self, ids) -> list[str]:
        return [self._plain.id_to_token(i) for i in ids]

    def __call__(self, texts, truncation: bool = True, max_length: int = 256) -> dict:
        """{"input_ids": [...]} with [CLS]/[SEP], as the embedding model sees them (usage counts)."""
        self._truncating.enable_truncation(max_length)
        return {"input_ids": [e.ids for e in self._truncating.encode_batch(list(texts))]}


@lru_cache(maxsize=1)
def minilm_tokens() -> MiniLMTokens:
    return MiniLMTokens()
