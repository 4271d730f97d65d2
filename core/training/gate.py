"""The gate: an adapter is kept only when it fits the doctor's own unseen notes better and general clinical text no
worse, both measured as perplexity.

Theory of operation:
- `split` puts each sample in train or held-out by a seeded hash of its id: deterministic (the same samples and
  seed give the same split on any machine, in any order they are read), and a sample keeps its side when others
  are added. At least one sample is held out and at least one trained on.
- Perplexity is exp(mean negative log-likelihood per token) over the completions of (prompt, completion) examples,
  each in a row of its own as training builds it (`lora.rows`: the end-of-text scored; an example longer than
  `max_seq_len` measured as its completion alone, in windows). The doctor's held-out notes are measured *given
  their dictation* — what the adapter is for, and what it is trained on; general clinical text is measured as text
  (an empty prompt): an adapter must not forget medicine it knew.
- Kept when `adapted_heldout <= base_heldout x (1 - min_heldout_improvement)` and
  `adapted_general <= base_general x (1 + max_general_regression)`. The defaults and why are in GateConfig.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class GateConfig:
    # 5 %: the drop a doctor's own style should buy. Below it, a 10-sample held-out set (~2-3 k tokens) cannot tell
    # the adapter from noise, and a run that learned nothing (zero steps: exactly 0 %) must fail.
    min_heldout_improvement: float = 0.05
    # 5 %: how much worse generic clinical text may get. LoRA on a doctor's notes shifts the model towards them;
    # a small cost on other text is the price, a large one means it overfit or forgot medicine it knew.
    max_general_regression: float = 0.05

    def to_json(self) -> dict[str, float]:
        return asdict(self)


DEFAULT_GATE = GateConfig()


@dataclass(frozen=True)
class Perplexities:
    base_heldout: float
    adapted_heldout: float
    base_general: float
    adapted_general: float

    @property
    def heldout_change(self) -> float:
        """Relative change of held-out perplexity (negative: better)."""
        return self.adapted_heldout / self.base_heldout - 1

    @property
    def general_change(self) -> float:
        return self.adapted_general / self.base_general - 1

    def to_json(self) -> dict[str, float]:
        return {
            "base_heldout": round(self.base_heldout, 4),
            "adapted_heldout": round(self.adapted_heldout, 4),
            "base_general": round(self.base_general, 4),
            "adapted_general": round(self.adapted_general, 4),
            "heldout_change": round(self.heldout_change, 4),
            "general_change": round(self.general_change, 4),
        }


@dataclass(frozen=True)
class Verdict:
    kept: bool
    reasons: tuple[str, ...]  # why it was rejected (empty when kept)


def decide(p: Perplexities, gate: GateConfig = DEFAULT_GATE) -> Verdict:
    reasons = []
    if not p.adapted_heldout <= p.base_heldout * (1 - gate.min_heldout_improvement):
        reasons.append(
            f"held-out perplexity changed by {p.heldout_change:+.1%}; at least "
            f"{-gate.min_heldout_improvement:+.1%} is needed"
        )
    if not p.adapted_general <= p.base_general * (1 + gate.max_general_regression):
        reasons.append(
            f"general clinical perplexity changed by {p.general_change:+.1%}; at most "
            f"{gate.max_general_regression:+.1%} is allowed"
        )
    return Verdict(not reasons, tuple(reasons))


def split(items: Sequence[T], ids: Sequence[str], *, seed: int, held_out_fraction: float) -> tuple[list[T], list[T]]:
    """(train, held_out): items ordered by sha256(seed, id); the first ceil(n x fraction) are held out."""
    if len(items) < 2:
        raise ValueError("at least 2 samples are needed to train and hold one out")
    order = sorted(range(len(items)), key=lambda i: hashlib.sha256(f"{seed}:{ids[i]}".encode()).hexdigest())
    n_held = min(len(items) - 1, max(1, math.ceil(len(items) * held_out_fraction)))
    held = set(order[:n_held])
    return [items[i] for i in range(len(items)) if i not in held], [items[i] for i in range(len(items)) if i in held]


def general_clinical_texts() -> list[str]:
    """The shipped generic clinical paragraphs (no PHI; written for this repository), one per blank-line block."""
    text = resources.files("core.training").joinpath("data/general_clinical.txt").read_text(encoding="utf-8")
    blocks = [b.strip() for b in text.split("\n\n")]
    return [b for b in blocks if b and not b.startswith("#")]


def perplexity(
    model: Any, tokenizer: Any, examples: Sequence[tuple[str, str]], *, max_seq_len: int, batch_size: int = 8
) -> float:
    """exp(mean NLL per scored token) of the completions of (prompt, completion) `examples` (no gradients)."""
    import torch

    from core.training.lora import collate, rows

    scored = rows(tokenizer, examples, max_seq_len)
    if not scored:
        raise ValueError("no text to measure")
    total_nll, total_tokens = 0.0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(scored), batch_size):
            batch = collate(scored[start : start + batch_size], tokenizer.pad_token_id)
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            targets = batch["labels"][:, 1:]
            nll = torch.nn.functional.cross_entropy(
                logits[:, :-1].reshape(-1, logits.size(-1)).float(),
                targets.reshape(-1),
                ignore_index=-100,
                reduction="sum",
            )
            total_nll += float(nll)
            total_tokens += int((targets != -100).sum())
    return math.exp(total_nll / total_tokens)


def as_text(texts: Sequence[str]) -> list[tuple[str, str]]:
    """Plain texts as examples with no prompt: `perplexity` of the texts themselves."""
    return [("", t) for t in texts]
