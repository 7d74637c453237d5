"""Contracts of the week 7-8 skills: A/B testing of prompts with sound statistics.

Every function takes the two prompt versions' results on the SAME items, in
the same order (paired data); `rng` is a numpy.random.Generator so that
results replay.
"""

from aigc_bench.contract import Skill

ab_testing = Skill(
    "ab_testing",
    weeks=(7, 8),
    summary="paired A/B tests of two prompt versions: McNemar, paired bootstrap, permutation test, minimum detectable effect",
    roadmap="Day 41-42: A/B test different prompts, measure the quality gain; Day 52-53: the A/B testing tool",
)


@ab_testing.function
def mcnemar(a_passed, b_passed):
    """McNemar's exact test for paired pass/fail outcomes.

    a_passed, b_passed: boolean arrays [n] (item i passed under A / under B).
    Only discordant items count: a_only = A passed and B failed, b_only = the
    reverse. Under H0 each discordant item is a fair coin, so the two-sided
    p-value is that of a binomial test of b_only successes in a_only + b_only
    trials with p = 1/2 (p = 1 when there is no discordant item).
    Returns {"a_only": int, "b_only": int, "p_value": float}.
    Raises ValueError when the lengths differ or n == 0.
    """
    raise NotImplementedError


@ab_testing.function
def paired_bootstrap_ci(scores_a, scores_b, rng, n_resamples=10_000, confidence=0.95):
    """Percentile bootstrap interval of mean(scores_b - scores_a).

    Resamples ITEMS (pairs) with replacement: the same resampled index picks
    both scores, which keeps the pairing (resampling A and B independently
    ignores their correlation and gives far too wide an interval).
    Returns (low, high). Raises ValueError on different lengths, n < 2, NaN.
    """
    raise NotImplementedError


@ab_testing.function
def paired_permutation_test(scores_a, scores_b, rng, n_resamples=10_000):
    """Two-sided paired permutation (sign-flip) test of mean(scores_b - scores_a) = 0.

    Under H0 each pair's difference is as likely to have either sign. With
    n <= 16 all 2**n sign patterns are enumerated (exact); otherwise
    `n_resamples` random patterns are drawn and the observed one is counted
    too, p = (1 + #{|mean*| >= |mean_obs|}) / (1 + n_resamples).
    Returns the p-value. Raises ValueError as paired_bootstrap_ci.
    """
    raise NotImplementedError


@ab_testing.function
def minimum_detectable_effect(n, sd_diff, alpha=0.05, power=0.8):
    """The smallest true mean difference a paired test on n items detects with
    probability `power` at two-sided level `alpha` (normal approximation):
    (z_{1 - alpha/2} + z_{power}) * sd_diff / sqrt(n).
    Raises ValueError for n < 2, sd_diff < 0, alpha or power outside (0, 1).
    """
    raise NotImplementedError


@ab_testing.function
def ab_verdict(scores_a, scores_b, rng, alpha=0.05, n_resamples=10_000):
    """The comparison a user reads: {"mean_a", "mean_b", "difference" (B - A),
    "ci": (low, high) from paired_bootstrap_ci at 1 - alpha, "p_value" (the
    permutation test; McNemar when every score is 0 or 1), "test": its name,
    "mde": minimum_detectable_effect at this n and the differences' sd,
    "verdict": "B is better", "A is better" or "no significant difference"
    (p >= alpha is always "no significant difference")}.
    """
    raise NotImplementedError


prompt_strategies = Skill(
    "prompt_strategies",
    weeks=(7,),
    summary="zero-shot, few-shot, chain of thought, self-consistency, ReAct, Tree of Thought, meta-prompting over any LLM client",
    roadmap="Day 41-44: zero-shot vs few-shot, chain of thought, self-consistency; ReAct, Tree of Thought, meta-prompting",
    isolatable=False,  # its functions call the test's LLM client and tools
)

# An LLM client is any callable  llm(prompt: str, *, temperature: float = 0.0, seed: int | None = None) -> str
# (aigc_bench.llm.OpenAICompatibleLLM talks to any OpenAI-compatible endpoint).


@prompt_strategies.function
def extract_answer(text):
    """The final answer in a chain-of-thought completion: the text after the LAST
    "Answer:" (or "Final answer:", any case) up to the end of that line, stripped;
    without such a marker, the LAST number in the text (as written); else None."""
    raise NotImplementedError


@prompt_strategies.function
def normalize_answer(answer):
    """Canonical form for voting: lower case, surrounding whitespace and trailing
    punctuation removed, inner whitespace collapsed, numbers written canonically
    ("3.0" -> "3", "1,000" -> "1000", "-0.50" -> "-0.5"). None stays None."""
    raise NotImplementedError


@prompt_strategies.function
def majority_vote(answers):
    """The most common normalised answer (None entries ignored; None if nothing is left).
    Ties are broken by the smallest normalised string, so the result never depends on
    the order in which samples arrived."""
    raise NotImplementedError


@prompt_strategies.function
def few_shot_prompt(instruction, examples, question):
    """A prompt: the instruction, then each (input, output) example as
    "Input: ...\\nOutput: ...", then "Input: <question>\\nOutput:". With no
    examples it is the zero-shot prompt."""
    raise NotImplementedError


@prompt_strategies.function
def chain_of_thought(llm, instruction, question, temperature=0.0, seed=None):
    """Ask for step-by-step reasoning ending with a line "Answer: <answer>"; returns
    (answer from extract_answer, the full completion)."""
    raise NotImplementedError


@prompt_strategies.function
def self_consistency(llm, instruction, question, n=5, temperature=0.7, seed=0):
    """Sample n chain-of-thought completions (seeds seed, seed+1, ...), extract each
    answer, and return (majority_vote of them, the list of extracted answers)."""
    raise NotImplementedError


@prompt_strategies.function
def react(llm, question, tools, max_steps=6):
    """A ReAct loop. Each step sends the transcript and reads one completion:
    "Final Answer: <text>" ends the loop; "Action: <tool>[<input>]" calls
    tools[<tool>](<input>) and appends "Observation: <result>". A completion that
    matches neither, an unknown tool, or a tool that raises becomes an Observation
    saying so (the loop goes on). After max_steps completions it stops.
    Returns {"answer": str | None, "steps": [completion, ...], "observations": [...],
    "stopped": "answer" | "step_limit"}."""
    raise NotImplementedError


@prompt_strategies.function
def tree_of_thought(problem, propose, score, beam_width=2, depth=3):
    """Breadth-first Tree of Thought. A state is the problem followed by thoughts,
    one per line. At each level every state in the frontier is expanded with each
    thought from propose(state) (a list of strings), the children are scored with
    score(child) (higher is better) and the best beam_width are kept (ties: the
    smaller string first). Returns (the best state after `depth` levels,
    [the frontier kept at each level])."""
    raise NotImplementedError


@prompt_strategies.function
def meta_prompt(llm, task, question):
    """Meta-prompting: ask the model to write a prompt for `task` (the request must
    contain the task and ask for a prompt with a {question} placeholder), then
    fill the written prompt with the question (appending it when the placeholder
    is missing) and return (the written prompt, the answer to it)."""
    raise NotImplementedError


prompt_templates = Skill(
    "prompt_templates",
    weeks=(7,),
    summary="prompt templates with variables and a versioned prompt registry on disk (history, diff, rollback)",
    roadmap="Day 43-44: prompt version management",
)


@prompt_templates.function
def template_variables(template):
    """The variable names in a template, in order of first appearance: "{name}"
    marks a variable, "{{" and "}}" are literal braces. Raises ValueError on an
    unbalanced brace."""
    raise NotImplementedError


@prompt_templates.function
def render(template, variables):
    """Fill the template. Raises ValueError naming every missing variable (and,
    separately, every unexpected one): a silently empty slot is a broken prompt."""
    raise NotImplementedError


@prompt_templates.function
class PromptRegistry:
    """Versions of named prompt templates, stored under the folder `root` so that a new
    PromptRegistry(root) sees everything saved before.

    save(name, text, message="") -> version dict {"name", "version" (1, 2, ...),
        "hash" (sha256 of text, hex), "text", "message", "created"}; saving the same
        text as the latest version returns that version instead of a new one.
    get(name, version=None) -> the version dict (latest when None).
    history(name) -> every version dict, oldest first.
    diff(name, a, b) -> a unified diff (str) from version a's text to b's.
    rollback(name, version) -> a NEW latest version whose text is `version`'s.
    Unknown names or versions raise KeyError naming them."""

    def __init__(self, root):
        raise NotImplementedError


few_shot_selection = Skill(
    "few_shot_selection",
    weeks=(7,),
    summary="choosing few-shot examples: fixed, seeded random, by embedding similarity, and generated from a labelled pool",
    roadmap="Day 43-44: automatic few-shot example generation",
    reference_libraries=(),  # the embed callback it is given runs MiniLM on torch
)


@few_shot_selection.function
def select_examples(pool, k, method="fixed", query=None, embed=None, seed=0):
    """k examples from `pool` (a list of (input, output) pairs), without repeats:
    - "fixed": the first k;
    - "random": k drawn without replacement by numpy.random.default_rng(seed)
      (the same seed gives the same examples);
    - "similar": the k whose input embeds closest (cosine) to `query`; `embed`
      maps a list of strings to an array [n, d]; most similar first.
    k larger than the pool returns the whole pool (in the method's order).
    Raises ValueError for an unknown method, k < 0, or "similar" without query/embed."""
    raise NotImplementedError


@few_shot_selection.function
def generate_examples(pool, k, embed):
    """Automatic few-shot examples from a labelled pool of (input, label) pairs:
    cover the labels first (round-robin over labels sorted by name), and within a
    label take the most typical example first (highest mean cosine similarity of
    its input to the other inputs of that label). Returns k pairs."""
    raise NotImplementedError


prompt_optimizer = Skill(
    "prompt_optimizer",
    weeks=(7, 8),
    summary="a prompt optimizer: 8 mutation strategies over a prompt configuration, hill-climbing within a budget of LLM calls",
    roadmap="Day 45-47: a prompt optimizer; Day 52-53: a prompt optimizer with 7 strategies",
    isolatable=False,  # its functions call the test's LLM client and evaluation function
    reference_libraries=(),
)

# A prompt configuration is a dict:
#   {"instruction": str, "role": str | None, "examples": [(input, output), ...],
#    "cot": bool, "output_format": str | None, "self_critique": bool}
# Missing keys take those defaults (role None, no examples, everything off).

MUTATIONS = ("rewrite_instruction", "add_example", "remove_example", "toggle_cot",
             "output_format", "role", "self_critique", "reorder_examples")


@prompt_optimizer.function
def render_config(config, question):
    """The prompt for one input, in this order: the role line ("You are <role>."),
    the instruction, the output-format line, each example as "Input: ...\\nOutput: ...",
    then "Input: <question>", the chain-of-thought request (containing "step by step")
    when cot is on, the self-critique request (containing "check your answer") when
    on, and last "Output:". Raises ValueError when the instruction is empty."""
    raise NotImplementedError


@prompt_optimizer.function
def mutate(config, strategy, llm, pool, rng):
    """A NEW configuration (the input is never modified) after one strategy of MUTATIONS:
    - rewrite_instruction: the LLM rewrites the instruction (one call; its first
      non-empty line, quotes stripped, becomes the instruction; an empty reply keeps it);
    - add_example: appends a pool example not yet used (drawn with rng);
    - remove_example: drops one example (drawn with rng);
    - toggle_cot / self_critique: flips that switch;
    - output_format: sets the "Answer: <answer>" format line, or removes it when set;
    - role: sets a role ("a careful expert") or removes it when set;
    - reorder_examples: a different order of the examples (rng).
    When a strategy cannot change anything (no example to add or remove, fewer than two
    to reorder) the configuration comes back equal. Unknown strategy: ValueError."""
    raise NotImplementedError


@prompt_optimizer.function
def optimize(initial, evaluate, llm, budget, pool=(), seed=0, strategies=None):
    """Hill-climbing over configurations. `evaluate(config, llm) -> float` (higher is
    better) calls the llm it is given; every LLM call, by evaluate or by a mutation,
    counts against `budget` (wrap llm in aigc_bench.llm.Budgeted). The initial
    configuration is evaluated first; then rounds try each strategy (in an order drawn
    from numpy.random.default_rng(seed)) on the current best, evaluating candidates not
    seen before; a strictly better one becomes the current best. It stops when the
    budget runs out (a candidate whose evaluation was cut short is discarded) or when a
    whole round finds no new candidate. strategies: a subset of MUTATIONS (None: all).
    Returns {"best": config, "score": its score, "calls": LLM calls used,
    "trajectory": [{"step", "strategy" ("initial" first), "score", "best_score",
    "prompt_hash"}, ...] one entry per evaluated candidate}.
    Raises ValueError when budget < 1 or the budget cannot evaluate the initial config."""
    raise NotImplementedError
