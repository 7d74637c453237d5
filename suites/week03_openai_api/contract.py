"""Contract of the week 3 OpenAI API skill (roadmap Day 19-21: Chat Completions
roles, streaming, function calling, token counting and cost estimation;
Embeddings batching and dimension reduction).

Client-side helpers a learner writes around the official `openai` client.
The suite runs them against our own OpenAI-compatible server
(`aigc-bench serve`) started on a free loopback port.
"""

from aigc_bench.contract import Skill

openai_client_skill = Skill(
    "openai_client",
    weeks=(3,),
    summary="client helpers for the OpenAI API: stream reassembly, token counting, cost, retry with backoff, embeddings",
    roadmap="Day 19-21: Chat Completions (roles, streaming, function calling, token counting, cost), Embeddings",
)


@openai_client_skill.function
def reassemble_chat_stream(chunks):
    """Rebuild one chat completion (n=1) from its streamed chunks.

    chunks: iterable of openai ChatCompletionChunk objects (or dicts of the
    same shape). Content arrives in `choices[0].delta.content` pieces (None
    or missing in some chunks); tool calls in `delta.tool_calls` entries keyed
    by `index`: the first fragment of a call carries `id` and
    `function.name`, later ones only `function.arguments` pieces to append.
    A final chunk may have no choices and carry `usage`.

    Returns {"role": "assistant", "content": str or None (None when no content
    piece arrived), "tool_calls": [{"id", "type": "function", "function":
    {"name", "arguments"}}, ...] ordered by index ([] when none),
    "finish_reason": the last non-null finish_reason, "usage": dict or None}.
    """
    raise NotImplementedError


@openai_client_skill.function
def count_chat_tokens(messages, encode):
    """Prompt tokens the server will charge for `messages` (its `usage.prompt_tokens`).

    messages: list of dicts {"role", "content" (str or None), optional
    "tool_calls": [{"function": {"name", "arguments"}}]}. encode: str ->
    list of token ids. The server's chat template: every message is rendered
    as f"{role}: {content or ''}" followed by f" {name}({arguments})" for each
    tool call, each rendering encoded on its own; then the primer
    "assistant:" is encoded too. The count is the sum of their lengths.
    """
    raise NotImplementedError


@openai_client_skill.function
def estimate_cost(usage, model, prices):
    """Cost in USD of one response.

    usage: a dict or object with prompt_tokens and completion_tokens.
    prices: {model: {"prompt": USD per 1M prompt tokens, "completion": USD per
    1M completion tokens}}. Raises KeyError naming the model when it has no
    price, ValueError for negative token counts.
    """
    raise NotImplementedError


@openai_client_skill.function
def call_with_retry(fn, max_attempts=5, base_delay=0.5, max_delay=8.0, sleep=None, rng=None):
    """Call fn() (no arguments) and return its result, retrying transient failures.

    Retry on openai.RateLimitError, openai.APIConnectionError (timeouts
    included) and openai.InternalServerError (5xx); any other exception
    (BadRequestError, NotFoundError, AuthenticationError, ...) is raised at
    once. At most `max_attempts` calls in all; after the last, the last
    exception is raised. Before retry k (k = 1, 2, ...), wait with
    `sleep(seconds)` (time.sleep when None) for a delay in [cap/2, cap] where
    cap = min(max_delay, base_delay * 2**(k-1)): exponential backoff with
    jitter. rng: optional random.Random for the jitter.
    Raises ValueError when max_attempts < 1.
    """
    raise NotImplementedError


@openai_client_skill.function
def reduce_dimensions(vectors, dimensions):
    """What the Embeddings API's `dimensions` does: keep the first `dimensions`
    coordinates of each row and L2-normalise it again.

    vectors: float array [n, d]; returns float32 [n, dimensions], rows of
    unit length. Raises ValueError unless 1 <= dimensions <= d or when
    vectors is not 2-D.
    """
    raise NotImplementedError


@openai_client_skill.function
def embed_in_batches(embed, texts, batch_size):
    """Embed many texts with at most `batch_size` per request.

    embed: list[str] -> list of vectors (one request to the API); returns a
    float32 array [len(texts), d] in the order of `texts`. Raises ValueError
    when batch_size < 1.
    """
    raise NotImplementedError
