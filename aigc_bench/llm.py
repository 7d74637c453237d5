"""LLM clients for the prompting skills: any callable `llm(prompt, temperature=, seed=) -> str`.

`OpenAICompatibleLLM` talks to any OpenAI-compatible endpoint (ours:
`aigc-bench serve`; vLLM; llama.cpp's server; OpenAI) through the official
client. `Budgeted` counts calls and stops at a budget (the prompt optimizer's).
"""

from __future__ import annotations

import os


class BudgetExhausted(RuntimeError):
    pass


class OpenAICompatibleLLM:
    """Chat completions with the prompt as one user message.

    base_url defaults to $OPENAI_BASE_URL, model to $OPENAI_MODEL."""

    def __init__(self, base_url: str | None = None, model: str | None = None, max_tokens: int = 256, api_key: str | None = None, timeout: float = 120.0):
        import openai

        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        if not self.base_url:
            raise ValueError("no endpoint: pass base_url or set OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1 for `aigc-bench serve`)")
        self.model = model or os.environ.get("OPENAI_MODEL")
        if not self.model:
            raise ValueError("no model name: pass model or set OPENAI_MODEL")
        self.max_tokens = max_tokens
        self.client = openai.OpenAI(base_url=self.base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY", "not-needed-locally"), timeout=timeout, max_retries=2)

    def __call__(self, prompt: str, temperature: float = 0.0, seed: int | None = None) -> str:
        response = self.client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": prompt}], temperature=temperature, seed=seed, max_tokens=self.max_tokens
        )
        return response.choices[0].message.content or ""


class Budgeted:
    """Wraps a client; raises BudgetExhausted on the call past `budget`."""

    def __init__(self, llm, budget: int):
        self.llm, self.budget, self.calls = llm, budget, 0

    def __call__(self, prompt: str, temperature: float = 0.0, seed: int | None = None) -> str:
        if self.calls >= self.budget:
            raise BudgetExhausted(f"the budget of {self.budget} LLM calls is used up")
        self.calls += 1
        return self.llm(prompt, temperature=temperature, seed=seed)
