"""Seeded test doubles of a language model, for testing the logic of strategies
(voting, parsing, search order). They never produce a reported result: figures
come from real endpoints only."""

import numpy as np


class NoisyReasoner:
    """Answers a question correctly with probability p_correct, else one of `wrong`;
    the draw depends only on (seed, question), like a sampled completion."""

    def __init__(self, answers: dict, wrong=("41", "43", "7"), p_correct=0.6):
        self.answers, self.wrong, self.p = answers, wrong, p_correct
        self.seeds = []

    def __call__(self, prompt, temperature=0.0, seed=None):
        self.seeds.append(seed)
        question = next(q for q in self.answers if q in prompt)
        rng = np.random.default_rng([0 if seed is None else seed, sum(map(ord, question))])
        answer = self.answers[question] if rng.random() < self.p else str(rng.choice(self.wrong))
        return f"First, 12 and 30 are given. Then I add 1 step.\nAnswer: {answer}"


class Scripted:
    """Returns the given completions in order; records the prompts; fails loudly past the end."""

    def __init__(self, completions, limit=None):
        self.completions = list(completions)
        self.prompts = []
        self.limit = limit if limit is not None else len(self.completions)

    def __call__(self, prompt, temperature=0.0, seed=None):
        self.prompts.append(prompt)
        if len(self.prompts) > self.limit:
            raise RuntimeError(f"called {len(self.prompts)} times: the loop ignored its step limit")
        return self.completions[min(len(self.prompts) - 1, len(self.completions) - 1)]
