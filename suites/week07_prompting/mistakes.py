"""Common mistakes in the week 7-8 skills: each must fail the suite."""

import numpy as np
from scipy import stats

from impls.numpy import ab_testing as good

from .contract import ab_testing


@ab_testing.mistake("paired_bootstrap_ci", "a bootstrap that resamples A and B independently (ignores the pairing)")
def bootstrap_unpaired(scores_a, scores_b, rng, n_resamples=10_000, confidence=0.95):
    a, b = good._paired(scores_a, scores_b)
    ia = rng.integers(0, a.size, size=(n_resamples, a.size))
    ib = rng.integers(0, b.size, size=(n_resamples, b.size))
    means = b[ib].mean(axis=1) - a[ia].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


@ab_testing.mistake("mcnemar", "McNemar reporting the one-sided p-value")
def mcnemar_one_sided(a_passed, b_passed):
    a, b = np.asarray(a_passed, bool), np.asarray(b_passed, bool)
    a_only, b_only = int(np.sum(a & ~b)), int(np.sum(b & ~a))
    n = a_only + b_only
    p = 1.0 if n == 0 else float(stats.binomtest(b_only, n, 0.5, alternative="greater").pvalue)
    return {"a_only": a_only, "b_only": b_only, "p_value": p}


@ab_testing.mistake("paired_permutation_test", "a one-sided permutation test (signed, not absolute, means)")
def permutation_one_sided(scores_a, scores_b, rng, n_resamples=10_000):
    a, b = good._paired(scores_a, scores_b)
    diff = b - a
    import itertools

    signs = np.array(list(itertools.product((1.0, -1.0), repeat=diff.size))) if diff.size <= 16 else rng.choice((1.0, -1.0), size=(n_resamples, diff.size))
    means = (signs * diff).mean(axis=1)
    return float(np.mean(means >= diff.mean() - 1e-12))


@ab_testing.mistake("minimum_detectable_effect", "the MDE with a one-sided z (alpha instead of alpha/2)")
def mde_one_sided(n, sd_diff, alpha=0.05, power=0.8):
    return float((stats.norm.ppf(1 - alpha) + stats.norm.ppf(power)) * sd_diff / np.sqrt(n))


# --------------------------------------------------------------------- prompt strategies
from impls.numpy import prompt_strategies as good_strategies  # noqa: E402

from .contract import prompt_strategies  # noqa: E402


@prompt_strategies.mistake("majority_vote", "a majority vote that breaks ties by the first answer seen")
def vote_first_seen(answers):
    from collections import Counter

    normalised = [a for a in map(good_strategies.normalize_answer, answers) if a is not None]
    if not normalised:
        return None
    return Counter(normalised).most_common(1)[0][0]  # Counter keeps first-seen order among ties


@prompt_strategies.mistake("extract_answer", "chain-of-thought extraction that takes the first number")
def extract_first_number(text):
    import re

    marker = re.search(r"answer\s*:\s*(.*)", text or "", re.IGNORECASE)
    if marker:
        return marker.group(1).splitlines()[0].strip()
    numbers = re.findall(r"-?\d[\d,]*(?:\.\d+)?", text or "")
    return numbers[0] if numbers else None


@prompt_strategies.mistake("react", "a ReAct loop with no step limit (loops until the model answers)")
def react_forever(llm, question, tools, max_steps=6):
    result = good_strategies.react(llm, question, tools, max_steps=10**6)
    return result


@prompt_strategies.mistake("tree_of_thought", "Tree of Thought keeping the worst candidates")
def tot_worst(problem, propose, score, beam_width=2, depth=3):
    frontier, kept = [problem], []
    for _ in range(depth):
        children = [f"{s}\n{t}" for s in frontier for t in propose(s)]
        frontier = sorted(children, key=lambda c: (score(c), c))[:beam_width]
        kept.append(list(frontier))
    return frontier[0], kept


# --------------------------------------------------------------------- prompt templates
from .contract import prompt_templates  # noqa: E402


@prompt_templates.mistake("render", "rendering that leaves a missing variable empty instead of raising")
def render_silently(template, variables):
    from collections import defaultdict

    return template.replace("{{", "\0").replace("}}", "\1").format_map(defaultdict(str, variables)).replace("\0", "{").replace("\1", "}")


# --------------------------------------------------------------------- few-shot selection
from impls.numpy import few_shot_selection as good_selection  # noqa: E402

from .contract import few_shot_selection  # noqa: E402


@few_shot_selection.mistake("select_examples", "'similar' selection returning the LEAST similar examples (argsort without the minus)")
def similar_reversed(pool, k, method="fixed", query=None, embed=None, seed=0):
    if method != "similar":
        return good_selection.select_examples(pool, k, method, query, embed, seed)
    v = good_selection._unit(embed([s for s, _ in pool] + [query]))
    return [pool[i] for i in np.argsort(v[:-1] @ v[-1])[:k]]


@few_shot_selection.mistake("generate_examples", "generated examples that ignore the labels (all from the largest class)")
def generate_ignoring_labels(pool, k, embed):
    return list(pool[:k])


import numpy as np  # noqa: E402


# --------------------------------------------------------------------- prompt optimizer
from impls.numpy import prompt_optimizer as good_optimizer  # noqa: E402

from .contract import prompt_optimizer  # noqa: E402


@prompt_optimizer.mistake("optimize", "an optimizer that ignores the budget (calls the raw client for a fixed number of rounds)")
def optimize_ignoring_budget(initial, evaluate, llm, budget, pool=(), seed=0, strategies=None):
    rng = np.random.default_rng(seed)
    best = dict(initial)
    best_score = evaluate(best, llm)
    trajectory = [{"step": 0, "strategy": "initial", "score": best_score, "best_score": best_score, "prompt_hash": good_optimizer.prompt_hash(best)}]
    for _ in range(3):
        for strategy in good_optimizer.MUTATIONS:
            candidate = good_optimizer.mutate(best, strategy, llm, pool, rng)
            score = evaluate(candidate, llm)
            if score > best_score:
                best, best_score = candidate, score
            trajectory.append({"step": len(trajectory), "strategy": strategy, "score": score, "best_score": best_score, "prompt_hash": good_optimizer.prompt_hash(candidate)})
    return {"best": best, "score": best_score, "calls": budget, "trajectory": trajectory}


@prompt_optimizer.mistake("optimize", "an optimizer that returns the last candidate evaluated instead of the best")
def optimize_keeping_last(initial, evaluate, llm, budget, pool=(), seed=0, strategies=None):
    last = {}
    counting = good_optimizer.Budgeted(llm, budget)

    def remember(config, client):
        last["config"], last["score"] = config, evaluate(config, client)
        return last["score"]

    result = good_optimizer.optimize(initial, remember, counting, budget, pool, seed, strategies)
    return {**result, "best": last["config"], "score": last["score"], "calls": counting.calls}


@prompt_optimizer.mistake("mutate", "a mutation that edits the incumbent configuration in place (examples.append)")
def mutate_in_place(config, strategy, llm, pool, rng):
    if strategy == "add_example":
        config.setdefault("examples", [])
        unused = [tuple(e) for e in pool if tuple(e) not in [tuple(x) for x in config["examples"]]]
        if unused:
            config["examples"].append(unused[int(rng.integers(len(unused)))])
        return config
    return good_optimizer.mutate(config, strategy, llm, pool, rng)
