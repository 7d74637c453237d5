"""The embedding skill's reference: the real all-MiniLM-L6-v2 (sentence-transformers,
CPU, offline), mean pooling and L2 normalisation, length-sorted batches."""

from aigc_bench.models import MiniLMEmbedder

_EMBEDDER = MiniLMEmbedder(batch_size=64)


def embed(texts):
    from aigc_bench.embedding_clients import check_texts

    return _EMBEDDER.embed(check_texts(texts))
