"""LoRA training of one doctor's adapter on the CPU: seeded, resumable from checkpoints, memory bounded.

Theory of operation:
- The texts are tokenized (each ending with the end-of-text token), packed into one stream and cut into blocks of
  `max_seq_len` tokens: no padding wasted, and the memory of a step is bounded by `batch_size x max_seq_len`
  (the logits over SmolLM2's 49 k vocabulary dominate it: ~4.5 GB peak at 4 x 256 in float32).
- Which blocks step k trains on is a pure function of (seed, k): epoch e visits the blocks in
  `randperm(seed, e)` order and steps walk that sequence. So a run killed after step k and started again with the
  same data and configuration loads the checkpoint (LoRA weights, optimizer, schedule, RNG state, step) and goes on
  from step k+1 exactly as if it had never stopped; same data + seed gives the same weights and metrics.
- Checkpoints are written every `checkpoint_every` steps, encrypted (they hold the adapter: an adapter can remember
  what it was trained on), atomically (a kill mid-write leaves the previous one).
- The base model is deep-copied before LoRA layers are added: the shared, cached base stays as it was.
"""

from __future__ import annotations

import copy
import io
import math
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Protocol

from core.training.progress import Progress


class Cipher(Protocol):
    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, token: bytes) -> bytes: ...


@dataclass(frozen=True)
class TrainingConfig:
    """How an adapter is trained (and its perplexity measured). `DEFAULT` and `TINY` below say why their values."""

    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    learning_rate: float = 1e-3
    batch_size: int = 4
    max_seq_len: int = 256
    epochs: int = 4
    max_steps: int = 200
    steps: int | None = None  # a fixed number of steps (the tiny configuration); None: from epochs, capped
    warmup_steps: int = 2
    checkpoint_every: int = 5
    seed: int = 17
    held_out_fraction: float = 0.2
    eval_max_texts: int | None = None  # the tiny configuration measures perplexity on fewer texts

    def steps_for(self, blocks: int) -> int:
        if self.steps is not None:
            return self.steps
        return max(1, min(self.max_steps, math.ceil(self.epochs * blocks / self.batch_size)))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target_modules"] = list(self.target_modules)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainingConfig:
        """The configuration `to_json` wrote (an adapter's `metrics["config"]`): what a loader needs to rebuild the
        PeftModel the adapter's state belongs to (`lora_config(TrainingConfig.from_json(...))`)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "target_modules" in values:
            values["target_modules"] = tuple(values["target_modules"])
        return cls(**values)


# A clinic server's nightly run: a doctor's 50-100 notes are ~8-20 k tokens; 4 epochs at 4 x 256 tokens a step is
# 30-80 steps, ~4 s per 1 k tokens on 2 cores — minutes, not hours, with a peak of ~4.5 GB RSS. lr 1e-3 (higher than
# the usual 2e-4) because there are tens of steps, not thousands; r=8 on q/v (0.46 M parameters) is enough to learn
# a doctor's headings and phrasing, and little enough not to memorise the notes.
DEFAULT = TrainingConfig()
# Tests and smoke runs: 3 steps of 2 x 64 tokens, checkpoint each step, perplexity on at most 6 texts — a few
# seconds after the model has loaded. It proves the pipeline, not the adapter (the gate normally rejects it).
TINY = replace(DEFAULT, batch_size=2, max_seq_len=64, steps=3, checkpoint_every=1, eval_max_texts=6)


@dataclass
class TrainResult:
    model: Any  # the PeftModel (base copy + this adapter)
    steps: int
    tokens: int  # tokens trained on, summed over steps (a resumed run's earlier steps included)
    seconds: float  # training time, summed over runs
    final_loss: float | None
    resumed_from: int  # the step the run started at (0: fresh)
    step_seconds: list[float] = field(default_factory=list)  # this run's steps


def lora_config(config: TrainingConfig) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules),
        task_type="CAUSAL_LM",
    )


def pack(tokenizer: Any, texts: Sequence[str], max_seq_len: int) -> list[list[int]]:
    """The texts as one token stream (each closed by end-of-text) cut into blocks of at most `max_seq_len`."""
    stream: list[int] = []
    for text in texts:
        stream.extend(tokenizer(text, add_special_tokens=False)["input_ids"])
        stream.append(tokenizer.eos_token_id)
    return [stream[i : i + max_seq_len] for i in range(0, len(stream), max_seq_len)]


def collate(blocks: Sequence[Sequence[int]], pad_id: int) -> dict[str, Any]:
    """A batch: blocks right-padded to the longest, padding masked out of attention and of the loss."""
    import torch

    width = max(len(b) for b in blocks)
    ids = torch.full((len(blocks), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(blocks), width), dtype=torch.long)
    for row, block in enumerate(blocks):
        ids[row, : len(block)] = torch.tensor(block, dtype=torch.long)
        mask[row, : len(block)] = 1
    labels = ids.masked_fill(mask == 0, -100)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def batch_indices(step: int, blocks: int, batch_size: int, seed: int) -> list[int]:
    """The blocks step `step` trains on: position step*batch_size... in the epochs' seeded permutations."""
    import torch

    out: list[int] = []
    position = step * batch_size
    while len(out) < min(batch_size, blocks):
        epoch, offset = divmod(position, blocks)
        order = torch.randperm(blocks, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
        out.append(int(order[offset]))
        position += 1
    return out


class Checkpoints:
    """One encrypted checkpoint file in `directory` (mode 0700), replaced atomically."""

    def __init__(self, directory: Path, cipher: Cipher) -> None:
        self.directory = directory
        self.cipher = cipher
        self.path = directory / "checkpoint.pt.enc"

    def save(self, state: dict[str, Any]) -> None:
        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.cipher.encrypt(buffer.getvalue()))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def load(self) -> dict[str, Any] | None:
        import torch

        if not self.path.exists():
            return None
        data = self.cipher.decrypt(self.path.read_bytes())
        return torch.load(io.BytesIO(data), weights_only=True)

    def clear(self) -> None:
        for path in (self.path, self.path.with_suffix(".tmp")):
            path.unlink(missing_ok=True)
        try:
            self.directory.rmdir()
        except OSError:
            pass


def train(
    base_model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    config: TrainingConfig,
    *,
    checkpoints: Checkpoints | None = None,
    progress_label: str | None = "training",
    stop_after: int | None = None,
) -> TrainResult:
    """Train a LoRA adapter on `texts`; resumes from `checkpoints` when one is there. `stop_after` ends the run
    after that many steps of this run (tests use it to stand for a kill)."""
    import torch
    from peft import get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict

    torch.manual_seed(config.seed)
    with warnings.catch_warnings():  # peft asks transformers a deprecated question; nothing for our caller to do
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(copy.deepcopy(base_model), lora_config(config))
    blocks = pack(tokenizer, texts, config.max_seq_len)
    total = config.steps_for(len(blocks))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
    warmup = max(1, config.warmup_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    start, tokens, seconds, loss_value = 0, 0, 0.0, None
    state = checkpoints.load() if checkpoints else None
    if state is not None:
        set_peft_model_state_dict(model, state["adapter"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        start, tokens, seconds = int(state["step"]), int(state["tokens"]), float(state["seconds"])
        loss_value = float(state["loss"]) if state.get("loss") is not None else None
    bar = Progress(progress_label, total, start=start) if progress_label else None
    model.train()
    step_seconds: list[float] = []
    step = start
    for step in range(start, total):
        if stop_after is not None and step - start >= stop_after:
            break
        began = time.monotonic()
        batch = collate(
            [blocks[i] for i in batch_indices(step, len(blocks), config.batch_size, config.seed)],
            tokenizer.pad_token_id,
        )
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        loss_value = float(loss.detach())
        tokens += int(batch["attention_mask"].sum())
        step_seconds.append(time.monotonic() - began)
        seconds += step_seconds[-1]
        if bar:
            bar.update(step + 1, loss_value)
        if checkpoints and (step + 1) % config.checkpoint_every == 0 and step + 1 < total:
            checkpoints.save(
                {
                    "adapter": get_peft_model_state_dict(model, save_embedding_layers=False),
                    "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(),
                    "rng": torch.get_rng_state(),
                    "step": step + 1,
                    "tokens": tokens,
                    "seconds": seconds,
                    "loss": loss_value,
                }
            )
    else:
        step = total
    model.eval()
    return TrainResult(model, step, tokens, seconds, loss_value, start, step_seconds)


def adapter_state(model: Any) -> dict[str, Any]:
    """The adapter's own weights (LoRA A/B matrices), as safetensors will store them."""
    from peft import get_peft_model_state_dict

    state = get_peft_model_state_dict(model, save_embedding_layers=False)
    return {k: v.detach().contiguous() for k, v in state.items()}
