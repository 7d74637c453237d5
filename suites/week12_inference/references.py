"""What the week 12 suites judge against: a seeded HF GPT2LMHeadModel saved as a local
safetensors checkpoint (loaded by the engine as a user would load GPT-2), its logits
in float64 and float32, and HF generate's greedy tokens."""

import numpy as np
import torch

from aigc_bench.models import seeded_gpt2

# Small enough for the default run; initializer_range 0.2 (GPT-2: 0.02) so that a
# random model's greedy choices vary instead of repeating one token.
TINY = dict(vocab_size=128, n_positions=64, n_layer=3, n_head=4, n_embd=32, initializer_range=0.2)


class HFReference:
    def __init__(self, directory, seed=0, **config):
        self.model32, self.model64 = seeded_gpt2(seed, **config)
        self.model32.save_pretrained(directory)
        self.directory = str(directory)
        self.config = config

    def logits(self, ids):
        """(float64, float32) logits [T, vocab] of one sequence."""
        with torch.no_grad():
            t = torch.tensor(np.asarray(ids, dtype=np.int64)[None])
            return self.model64(t).logits[0].numpy(), self.model32(t).logits[0].numpy()

    def greedy(self, prompt, n):
        with torch.no_grad():
            out = self.model32.generate(torch.tensor([list(prompt)]), max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=0)
        return out[0, len(prompt) :].numpy()


def top1_agreement_and_kl(logits, reference):
    """Share of rows with the same argmax, and mean KL(reference || logits) in nats."""
    logits, reference = np.asarray(logits, np.float64), np.asarray(reference, np.float64)
    agree = float(np.mean(logits.argmax(-1) == reference.argmax(-1)))
    log_p = reference - reference.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    log_q = logits - logits.max(-1, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(-1, keepdims=True))
    return agree, float(np.mean(np.sum(np.exp(log_p) * (log_p - log_q), axis=-1)))
