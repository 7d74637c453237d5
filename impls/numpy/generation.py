"""Generation side of RAG: citations, context compression, prompt assembly, and the
answer given when no language model is configured (roadmap Day 35-36)."""

from __future__ import annotations

from aigc_bench.rag import count_tokens

SYSTEM_PROMPT = (
    "You answer questions about a code base. Use only the numbered snippets the user "
    "gives you; if they do not contain the answer, say so. Cite every snippet you use "
    "as path:start-end, exactly as written in its header."
)

EXTRACTIVE_LABEL = "Extractive answer (no language model was used): the best-matching snippets, verbatim."


def cite(chunk):
    return f"{chunk.path}:{chunk.start_line}-{chunk.end_line}"


def _contained(chunk, kept):
    return any(
        k.path == chunk.path and (k.content_hash == chunk.content_hash
                                  or (k.start_line <= chunk.start_line and chunk.end_line <= k.end_line))
        for k in kept
    )


def compress_context(chunks, budget_tokens):
    kept, used = [], 0
    for chunk in chunks:
        if _contained(chunk, kept):
            continue  # a duplicate, or lines an earlier snippet already shows
        cost = count_tokens(chunk.text)
        if used + cost <= budget_tokens:
            kept.append(chunk)
            used += cost
            continue
        # Trim to the leading whole lines that fit, keeping the line span true to the text.
        lines = chunk.text.splitlines(keepends=True)
        room, taken = budget_tokens - used, 0
        for line in lines:
            if count_tokens("".join(lines[:taken + 1])) > room:
                break
            taken += 1
        if taken:
            text = "".join(lines[:taken])
            kept.append(chunk.with_(text=text, end_line=chunk.start_line + taken - 1, content_hash=""))
        break
    return kept


def _snippets(chunks):
    return "\n\n".join(f"[{n}] {cite(c)}\n```{c.language}\n{c.text.rstrip()}\n```" for n, c in enumerate(chunks, 1))


def assemble_prompt(question, chunks):
    user = f"Snippets:\n\n{_snippets(chunks)}\n\nQuestion: {question}\nAnswer, citing snippets as path:start-end."
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def extractive_answer(question, chunks, max_snippets=3):
    chosen = list(chunks)[:max_snippets]
    if not chosen:
        return f"{EXTRACTIVE_LABEL}\nNo snippet matched the question: {question}"
    return f"{EXTRACTIVE_LABEL}\n\n{_snippets(chosen)}"
