"""Text <-> tokens for the server: the chat template, incremental detokenisation, stop strings.

Tokens are the MiniLM BERT tokenizer's (vocabulary 30522, the engine's
"small" config). The chat template is deliberately plain so that a client
can count prompt tokens exactly (the week 3 skill `count_chat_tokens`):

    each message  ->  "{role}: {content}"  (+ " {name}({arguments})" per tool call)
    then          ->  "assistant:"          (the turn the model is asked to write)

each piece encoded on its own without special tokens, the ids concatenated.
"""

from __future__ import annotations

from impls.numpy.openai_client import render_chat_message  # the template, shared with the week 3 token-counting skill

ASSISTANT_PRIMER = "assistant:"


def encode(tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=False)


def chat_prompt_ids(tokenizer, messages) -> list[int]:
    """messages: protocol.ChatMessage objects -> the prompt's token ids."""
    ids: list[int] = []
    for m in messages:
        calls = [{"function": {"name": c.function.name, "arguments": c.function.arguments}} for c in m.tool_calls or []]
        ids += encode(tokenizer, render_chat_message({"role": m.role, "content": m.text(), "tool_calls": calls}))
    return ids + encode(tokenizer, ASSISTANT_PRIMER)


class TextStream:
    """Turns generated token ids into text deltas, holding back text that could be the
    start of a stop string so that a stop string is never streamed to the client."""

    def __init__(self, tokenizer, stop_strings: list[str] = ()):
        self.tokenizer = tokenizer
        self.stop_strings = list(stop_strings)
        self.hold = max((len(s) for s in self.stop_strings), default=1) - 1
        self.ids: list[int] = []
        self.text = ""  # the decoded text so far (truncated at a stop string once found)
        self.sent = 0  # characters of `text` already returned
        self.stopped = False

    def _decode(self) -> str:
        return self.tokenizer.decode(self.ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def push(self, token_id: int) -> str:
        """Add a token; return the text that may be sent now. Sets `stopped` when a stop string appeared."""
        self.ids.append(token_id)
        self.text = self._decode()
        search_from = max(0, self.sent - self.hold)
        cut = min((i for i in (self.text.find(s, search_from) for s in self.stop_strings) if i >= 0), default=-1)
        if cut >= 0:
            self.text = self.text[:cut]
            self.stopped = True
            return self.flush()
        safe = max(self.sent, len(self.text) - self.hold)
        delta = self.text[self.sent:safe]
        self.sent = safe
        return delta

    def flush(self) -> str:
        """The held-back rest (at the end of generation)."""
        delta = self.text[self.sent:]
        self.sent = len(self.text)
        return delta
