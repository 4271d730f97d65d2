"""LoRA training of one doctor's adapter on the CPU: seeded, resumable from checkpoints, memory bounded.

Theory of operation:
- Each training example is a row of its own: a prompt and a completion (`prompting.training_examples`: the note
  given the dictation it could have come from, and the note alone after the bare note mark), tokenized and closed
  by end-of-text. The loss is on the completion and its end-of-text only: the adapter learns what to write after a
  prompt and where to stop, not to reproduce prompts. An example longer than `max_seq_len` becomes its completion
  alone, in windows (`rows`). Rows are right-padded to the longest in their batch, so the memory of a step is
  bounded by `batch_size x max_seq_len` (activations and the logits over SmolLM2's 49 k vocabulary).
- Why not the usual packed stream with the loss on every token (measured on the benchmark's doctors, 2026-12-02):
  it halved the notes' perplexity, yet greedy generation never began a note with the doctor's first heading —
  one token in a few hundred of a packed block, after an instruction the loss spent itself on.
- LoRA sits on every linear projection of the model (attention and MLP). On q/v alone (0.46 M parameters) the first
  token of a doctor's note ("SU" of "SUBJECTIVE:", rank ~3,000 of 49 k under the base model) stayed below 0.001
  after 30 steps; on all seven (2.4 M parameters, r=8) it passed 0.8 in the same 30 steps and the notes came out
  in the doctor's form (docs/personalization.md).
- Which rows step k trains on is a pure function of (seed, k): epoch e visits the rows in `randperm(seed, e)` order
  and steps walk that sequence. So a run killed after step k and started again with the same data and
  configuration loads the checkpoint (LoRA weights, optimizer, schedule, RNG state, step) and goes on from step
  k+1 exactly as if it had never stopped; same data + seed gives the same weights and metrics.
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

# SmolLM2's (Llama's) linear projections: attention and MLP.
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class Cipher(Protocol):
    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, token: bytes) -> bytes: ...


@dataclass(frozen=True)
class TrainingConfig:
    """How an adapter is trained (and its perplexity measured). `DEFAULT` and `TINY` below say why their values."""

    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ALL_LINEAR
    learning_rate: float = 1e-3
    batch_size: int = 4
    max_seq_len: int = 768
    epochs: float = 1.25
    max_steps: int = 200
    steps: int | None = None  # a fixed number of steps (the tiny configuration); None: from epochs, capped
    warmup_steps: int = 2
    checkpoint_every: int = 5
    seed: int = 17
    held_out_fraction: float = 0.2
    eval_max_texts: int | None = None  # the tiny configuration measures perplexity on fewer texts

    def steps_for(self, rows: int) -> int:
        if self.steps is not None:
            return self.steps
        return max(1, min(self.max_steps, math.ceil(self.epochs * rows / self.batch_size)))

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


# A clinic server's nightly run: a doctor's 50-100 samples make 80-160 rows (each note given its dictation, and
# alone) of 300-700 tokens; 1.25 passes over them at 4 rows a step is 30-60 steps — the 30 that the benchmark
# measured for 48 training notes (docs/personalization.md: 5.5-11.5 min a doctor on 2 cores, 8.6-13.5 GB peak RSS).
# More passes than that let the 135 M model drift from the dictation (invented findings after the last heading,
# measured at 96 steps). 768 tokens holds the longest simulated consult note with its dictation (~660); a longer
# sample trains as the note alone (`rows`). lr 1e-3 (higher than the usual 2e-4) because there are tens of steps,
# not thousands.
DEFAULT = TrainingConfig()
# Tests and smoke runs: 3 steps of 2 x 256 tokens, checkpoint each step, perplexity on at most 6 texts — seconds
# after the model has loaded. It proves the pipeline, not the adapter (the gate normally rejects it).
TINY = replace(DEFAULT, batch_size=2, max_seq_len=256, steps=3, checkpoint_every=1, eval_max_texts=6)


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


@dataclass(frozen=True)
class Row:
    """One example's tokens and its labels: the prompt's positions are -100 (not scored)."""

    ids: list[int]
    labels: list[int]


def rows(tokenizer: Any, examples: Sequence[tuple[str, str]], max_seq_len: int) -> list[Row]:
    """Each (prompt, completion) as one row, prompt + completion + end-of-text with the completion and its end
    scored — or, when that is longer than `max_seq_len`, the completion alone in windows of `max_seq_len` (a long
    letter still teaches the doctor's text and is still measured, though not given its dictation)."""
    out: list[Row] = []
    for prompt, completion in examples:
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"] if prompt else []
        completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        if len(prompt_ids) + len(completion_ids) <= max_seq_len:
            out.append(Row(prompt_ids + completion_ids, [-100] * len(prompt_ids) + completion_ids))
            continue
        for start in range(0, len(completion_ids), max_seq_len):
            window = completion_ids[start : start + max_seq_len]
            if len(window) > 1:  # a lone token predicts nothing
                out.append(Row(window, list(window)))
    return out


def collate(batch: Sequence[Row], pad_id: int) -> dict[str, Any]:
    """A batch: rows right-padded to the longest, padding masked out of attention and of the loss."""
    import torch

    width = max(len(r.ids) for r in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, row in enumerate(batch):
        ids[i, : len(row.ids)] = torch.tensor(row.ids, dtype=torch.long)
        labels[i, : len(row.labels)] = torch.tensor(row.labels, dtype=torch.long)
        mask[i, : len(row.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def batch_indices(step: int, count: int, batch_size: int, seed: int) -> list[int]:
    """The rows step `step` trains on: position step*batch_size... in the epochs' seeded permutations."""
    import torch

    out: list[int] = []
    position = step * batch_size
    while len(out) < min(batch_size, count):
        epoch, offset = divmod(position, count)
        order = torch.randperm(count, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
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
    examples: Sequence[tuple[str, str]],
    config: TrainingConfig,
    *,
    checkpoints: Checkpoints | None = None,
    progress_label: str | None = "training",
    stop_after: int | None = None,
) -> TrainResult:
    """Train a LoRA adapter on (prompt, completion) `examples`; resumes from `checkpoints` when one is there.
    `stop_after` ends the run after that many steps of this run (tests use it to stand for a kill)."""
    import torch
    from peft import get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict

    torch.manual_seed(config.seed)
    with warnings.catch_warnings():  # peft asks transformers a deprecated question; nothing for our caller to do
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(copy.deepcopy(base_model), lora_config(config))
    train_rows = rows(tokenizer, examples, config.max_seq_len)
    if not train_rows:
        raise ValueError("no example to train on")
    total = config.steps_for(len(train_rows))
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
            [train_rows[i] for i in batch_indices(step, len(train_rows), config.batch_size, config.seed)],
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
