"""Common learner mistakes in the weeks 5-6 skills; the suite must fail each one."""

import numpy as np

from impls.numpy import chunkers as ref_chunkers
from impls.numpy import generation as ref_generation
from impls.numpy import retrievers as ref_retrievers

from .contract import chunkers, generation, retrievers


@chunkers.mistake("chunk_fixed", "a fixed-size chunker that drops the last line (text.split('\\n')[:-1])")
def chunk_fixed_drops_last_line(document, max_tokens=200, overlap=32):
    lines = document.text.split("\n")
    if len(lines) > 1:
        document = document.with_(text="\n".join(lines[:-1]) + "\n", content_hash="")
    return ref_chunkers.chunk_fixed(document, max_tokens, overlap)


@retrievers.mistake("bm25_scores", "BM25 without document length normalisation (b ignored)")
def bm25_without_length_normalisation(index, query_tokens):
    scores = np.zeros(index.n_docs, dtype=np.float64)
    for term in query_tokens:
        if term in index.postings:
            ids, tf = index.postings[term]
            idf = np.log(1.0 + (index.n_docs - len(ids) + 0.5) / (len(ids) + 0.5))
            scores[ids] += idf * tf / (tf + index.k1)  # every document treated as of mean length
    return scores


@retrievers.mistake("reciprocal_rank_fusion", "hybrid fusion that ignores all but the first ranked list")
def rrf_ignores_second_list(rankings, k=60, weights=None):
    rankings = list(rankings)
    return ref_retrievers.reciprocal_rank_fusion(rankings[:1], k=k)


@generation.mistake("cite", "citations with 0-based line numbers (one line early)")
def cite_zero_based(chunk):
    return f"{chunk.path}:{chunk.start_line - 1}-{chunk.end_line - 1}"


@generation.mistake("compress_context", "a trimmed snippet that keeps its old end line (cites lines it no longer shows)")
def compress_keeps_old_span(chunks, budget_tokens):
    by_start = {(c.path, c.start_line): c for c in chunks}
    return [c.with_(end_line=by_start[(c.path, c.start_line)].end_line) for c in ref_generation.compress_context(chunks, budget_tokens)]
