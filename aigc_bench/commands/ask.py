"""Ask a question about a repository: retrieves the relevant code, compresses it to a
token budget and answers with citations (path:start-end). With OPENAI_BASE_URL set,
an OpenAI-compatible endpoint writes the answer (model from --model or
AIGC_BENCH_LLM_MODEL); without one, the answer is extractive (the best-matching
snippets, verbatim) and says so."""

from __future__ import annotations

import sys

from .index import add_repo_arguments, indexed_repo

NAME = "ask"
HELP = "answer a question about a repository, citing path:start-end"


def add_arguments(parser):
    parser.add_argument("question", help="the question")
    parser.add_argument("--repo", required=True, help="the repository (a folder)")
    parser.add_argument("-k", type=int, default=6, help="snippets to retrieve (default 6)")
    parser.add_argument("--budget", type=int, default=1500, help="context budget in MiniLM tokens (default 1500)")
    parser.add_argument("--model", default=None, help="model name at the endpoint (default: AIGC_BENCH_LLM_MODEL or gpt-4o-mini)")
    parser.add_argument("--show-prompt", action="store_true", help="print the assembled prompt too")
    add_repo_arguments(parser)


def run(args) -> int:
    qa = indexed_repo(args, args.question, "question")
    if qa is None:
        return 2
    try:
        answer = qa.ask(args.question, k=args.k, budget_tokens=args.budget, model=args.model)
    except Exception as exc:  # the endpoint: connection refused, unknown model, ...
        print(f"error: the language model call failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.show_prompt:
        for m in answer.messages:
            print(f"--- {m['role']}\n{m['content']}\n")
    print(answer.text)
    if answer.used_llm:
        print(f"\n(model {answer.model}; sources: {', '.join(answer.citations)})")
    return 0
