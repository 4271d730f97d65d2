#!/usr/bin/env python3
"""Personalization benchmark: per-doctor LoRA adapters on simulated doctors, against the base model in the same run.

What it measures, for each simulated doctor (core.training.simulated_doctors: soap, consult and letter by default —
headed terse prose, headed narrative, and a letter without headings), from `--per-doctor` notes split into train
and held-out by `gate.split` exactly as the trainer does:
1. Training: LoRA (core.training.lora.train) with the trainer's DEFAULT configuration (the options below change
   it); seconds per 1 k tokens trained, and the process's peak RSS (base model + one training copy + activations).
2. Perplexity, base vs adapted, on the doctor's held-out notes (given their dictations, as the gate measures them)
   and on the shipped general clinical text, and the gate's verdict (core.training.gate.decide with DEFAULT_GATE).
   [the gate keeps every doctor's adapter]
3. The cross matrix: doctor X's adapter on doctor Y's held-out notes, as the ratio to the base perplexity on Y's
   notes. The adapters are loaded back from their saved weights through the processor's adapter cache
   (core.processors.personal_note), so the matrix also checks the serving path: its diagonal must equal the
   figure measured on the training run's own model. [each row's own doctor gains the most]
4. Generation through the processor's `NoteGenerator` (greedy, `--max-new-tokens`): for `--gen-notes` held-out
   dictations per doctor (derived from the held-out notes with prompting.dictation_from_note), the base path (a
   doctor with no adapter) and the adapter path; seconds per note, and style fidelity — the share of generated
   notes whose structure (headings in order, bullets or prose, terse or narrative; core.training.style) matches
   the doctor's habit, the structure most common among their own notes. [adapter fidelity > base fidelity]
   Beside it, faithfulness (core.training.faithfulness): the share of notes that state no number the dictation did
   not, and the mean share of the dictation's numbers the note kept. A note in the right form that invents a dose
   is worse than none; the processor refuses such notes.

Figures are printed with their ratio to the base measured in this run, and written as JSON to `--out`. Like every
benchmark here it exits 0 whatever the figures; 1 when it could not run (the training extra missing).

Needs the `training` extra (scripts/dev-setup.sh installs it). Takes ~40-50 min on 2 cores with the defaults;
`--quick` is a smoke run of a few minutes (tiny training, one note each: it proves the script, not the adapters).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import benchlib
from benchlib import BenchError, verdict

DEFAULT_STYLES = ("soap", "consult", "letter")


@dataclass
class Doctor:
    style: str
    doctor_id: str
    notes: list[str]
    train: list[str]
    held_out: list[str]
    held_out_pairs: list[tuple[str, str]]  # (prompt with the derived dictation, note): what the gate measures
    habit: Any = None
    state: dict[str, Any] | None = None
    figures: dict[str, Any] | None = None


class _Record:
    def __init__(self, adapter_id: str, doctor_id: str, metrics: dict[str, Any]) -> None:
        self.adapter_id, self.doctor_id, self.metrics = adapter_id, doctor_id, metrics


class _MemoryStore:
    """The adapter store's two reads over adapters kept in memory: the processor serves them as from the real one."""

    def __init__(self) -> None:
        self.records: dict[str, _Record] = {}
        self.states: dict[str, dict[str, Any]] = {}

    def put(self, doctor_id: str, state: dict[str, Any], config: dict[str, Any]) -> _Record:
        record = _Record(f"bench-{doctor_id}", doctor_id, {"config": config})
        self.records[doctor_id], self.states[record.adapter_id] = record, state
        return record

    def active(self, doctor_id: str) -> _Record | None:
        return self.records.get(doctor_id)

    def load_state(self, record: _Record) -> dict[str, Any]:
        return self.states[record.adapter_id]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", default=",".join(DEFAULT_STYLES), help="simulated doctors (comma-separated)")
    parser.add_argument("--per-doctor", type=int, default=60)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--steps", type=int, default=None, help="fixed steps (default: the DEFAULT's epochs)")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--max-seq-len", type=int, default=None)
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--gen-notes", type=int, default=6, help="held-out dictations generated per doctor and path")
    parser.add_argument("--max-new-tokens", type=int, default=384)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bench_personalization.json")
    parser.add_argument("--quick", action="store_true", help="smoke run: 12 notes, 2 tiny steps, 1 note generated")
    args = parser.parse_args(argv)
    benchlib.require_python_module("torch", "scripts/dev-setup.sh (the training extra)")
    from core.processors.personal_note import NoteGenerator, generate_text
    from core.training import faithfulness
    from core.training import gate as gating
    from core.training import style as style_
    from core.training.lora import DEFAULT, TINY, adapter_state, train
    from core.training.model import TrainingUnavailable, load_base
    from core.training.prompting import dictation_from_note, training_example, training_examples
    from core.training.simulated_doctors import STYLES, generate

    if args.quick:
        args.per_doctor, args.steps, args.max_seq_len, args.batch = 12, 2, TINY.max_seq_len, TINY.batch_size
        args.gen_notes, args.max_new_tokens = 1, 24

    styles = [s.strip() for s in args.styles.split(",") if s.strip()]
    if unknown := [s for s in styles if s not in STYLES]:
        raise BenchError(f"unknown style(s) {unknown}; one of {', '.join(STYLES)}")
    config = replace(
        DEFAULT,
        steps=args.steps,
        max_seq_len=args.max_seq_len or DEFAULT.max_seq_len,
        batch_size=args.batch or DEFAULT.batch_size,
        learning_rate=args.lr if args.lr is not None else DEFAULT.learning_rate,
        seed=args.seed,
        checkpoint_every=10**6,
        eval_max_texts=3 if args.quick else None,
    )
    import torch

    print(
        f"personalization bench: {len(styles)} doctors ({', '.join(styles)}), {args.per_doctor} notes each; "
        f"training {config.steps or f'{config.epochs} epochs'} of {config.batch_size} x {config.max_seq_len} tokens, "
        f"lr {config.learning_rate}, "
        f"r={config.rank} on {'/'.join(config.target_modules)}; torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, {platform.machine()}",
        flush=True,
    )
    try:
        base = load_base()
    except TrainingUnavailable as exc:
        raise BenchError(str(exc)) from None
    print(f"base model loaded in {base.load_seconds:.1f} s; peak RSS {peak_rss_mb():.0f} MB", flush=True)
    general = gating.as_text(gating.general_clinical_texts()[: config.eval_max_texts])
    length = config.max_seq_len
    base_general = gating.perplexity(base.model, base.tokenizer, general, max_seq_len=length)

    doctors: list[Doctor] = []
    for name in styles:
        notes = generate(name, args.per_doctor, args.seed)
        ids = [f"{STYLES[name].doctor_id}-{i:03d}" for i in range(len(notes))]
        train_notes, held = gating.split(notes, ids, seed=config.seed, held_out_fraction=config.held_out_fraction)
        if config.eval_max_texts:
            held = held[: config.eval_max_texts]
        pairs = [training_example(n) for n in held]
        doctors.append(Doctor(name, STYLES[name].doctor_id, notes, train_notes, held, pairs, style_.habit(notes)))

    store = _MemoryStore()
    for doctor in doctors:
        examples = training_examples(doctor.train)
        result = train(base.model, base.tokenizer, examples, config, progress_label=f"training {doctor.doctor_id}")
        rss = peak_rss_mb()
        held = doctor.held_out_pairs
        figures = gating.Perplexities(
            base_heldout=gating.perplexity(base.model, base.tokenizer, held, max_seq_len=length),
            adapted_heldout=gating.perplexity(result.model, base.tokenizer, held, max_seq_len=length),
            base_general=base_general,
            adapted_general=gating.perplexity(result.model, base.tokenizer, general, max_seq_len=length),
        )
        decision = gating.decide(figures)
        doctor.state = {k: v.clone() for k, v in adapter_state(result.model).items()}
        doctor.figures = {
            "train_notes": len(doctor.train),
            "held_out_notes": len(doctor.held_out),
            "steps": result.steps,
            "tokens": result.tokens,
            "train_seconds": round(result.seconds, 2),
            "seconds_per_1k_tokens": round(result.seconds / result.tokens * 1000, 3),
            "final_loss": round(result.final_loss, 4) if result.final_loss is not None else None,
            "peak_rss_mb": round(rss),
            "perplexity": figures.to_json(),
            "kept": decision.kept,
            "reasons": list(decision.reasons),
            "habit": doctor.habit.describe(),
        }
        store.put(doctor.doctor_id, doctor.state, config.to_json())
        print(
            f"  {doctor.doctor_id}: {result.steps} steps, {result.tokens} tokens in {result.seconds:.0f} s; held-out "
            f"ppl {figures.base_heldout:.2f} -> {figures.adapted_heldout:.2f}, general {figures.base_general:.2f} -> "
            f"{figures.adapted_general:.2f}: {'KEPT' if decision.kept else 'REJECTED ' + '; '.join(decision.reasons)}",
            flush=True,
        )
        del result
        gc.collect()

    # The cross matrix, through the processor's adapter cache (loaded back from the saved weights).
    # The model's own output, finished or not: the processor would serve the rules for an unfinished note, and the
    # style of the rules' note says nothing about the model.
    measure_model = partial(generate_text, require_end=False, require_faithful=False)
    generator = NoteGenerator(cache_size=max(1, len(doctors)), generate=measure_model)
    cache = generator.adapter_cache()
    base_own = {d.doctor_id: d.figures["perplexity"]["base_heldout"] for d in doctors}  # type: ignore[index]
    cross: dict[str, dict[str, float]] = {}
    for adapter in doctors:
        with cache.lock:
            model = cache.model_for(store.records[adapter.doctor_id], store.load_state)
            cross[adapter.doctor_id] = {
                target.doctor_id: round(
                    gating.perplexity(model, base.tokenizer, target.held_out_pairs, max_seq_len=length)
                    / base_own[target.doctor_id],
                    4,
                )
                for target in doctors
            }
    served_matches = all(
        abs(cross[d.doctor_id][d.doctor_id] - d.figures["perplexity"]["adapted_heldout"] / base_own[d.doctor_id])  # type: ignore[index]
        < 1e-3
        for d in doctors
    )

    # Generation: base path vs adapter path, on held-out dictations.
    nobody = _MemoryStore()
    generated: dict[str, dict[str, Any]] = {}
    for doctor in doctors:
        dictations = [dictation_from_note(n) for n in doctor.held_out[: args.gen_notes]]
        runs: dict[str, Any] = {}
        for path, doctor_store in (("base", nobody), ("adapter", store)):
            texts, seconds, tokens, paths, faithful, recall = [], [], [], [], [], []
            for dictation in dictations:
                result_, _ = generator.note(
                    doctor.doctor_id, dictation, store=doctor_store, max_new_tokens=args.max_new_tokens
                )
                texts.append(result_.text)
                seconds.append(result_.seconds)
                tokens.append(result_.new_tokens)
                paths.append(result_.path)
                faithful.append(not faithfulness.invented_numbers(result_.text, dictation))
                recall.append(faithfulness.number_recall(result_.text, dictation))
            runs[path] = {
                "fidelity": round(style_.fidelity(texts, doctor.habit), 3),
                "faithful": round(sum(faithful) / len(faithful), 3),
                "number_recall": round(statistics.mean(recall), 3),
                "seconds_per_note": round(statistics.mean(seconds), 2),
                "tokens_per_note": round(statistics.mean(tokens), 1),
                "tokens_per_second": round(sum(tokens) / sum(seconds), 1) if sum(seconds) else None,
                "paths": sorted(set(paths)),
                "structures": [style_.structure(t).describe() for t in texts],
            }
        # The doctor's own notes against the same dictations: what a perfect note keeps (the dictation says some
        # numbers a note writes glued to words, "every 8 hours" as "q8h").
        runs["reference_number_recall"] = round(
            statistics.mean(
                faithfulness.number_recall(n, d)
                for n, d in zip(doctor.held_out[: len(dictations)], dictations, strict=True)
            ),
            3,
        )
        generated[doctor.doctor_id] = runs
        print(
            f"  {doctor.doctor_id}: fidelity base {runs['base']['fidelity']:.0%} -> adapter "
            f"{runs['adapter']['fidelity']:.0%}; faithful {runs['base']['faithful']:.0%} -> "
            f"{runs['adapter']['faithful']:.0%}; {runs['base']['seconds_per_note']:.1f} / "
            f"{runs['adapter']['seconds_per_note']:.1f} s per note",
            flush=True,
        )

    report(doctors, cross, generated, served_matches, config, base.load_seconds)
    out = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": args.quick,
        "machine": {"cpu_threads": torch.get_num_threads(), "torch": torch.__version__, "arch": platform.machine()},
        "config": config.to_json(),
        "gate": gating.DEFAULT_GATE.to_json(),
        "base_load_seconds": round(base.load_seconds, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "doctors": {d.doctor_id: d.figures for d in doctors},
        "cross_ratio": cross,
        "served_adapter_matches_trained": served_matches,
        "generation": generated,
        "max_new_tokens": args.max_new_tokens,
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {args.out}")
    return 0


def _change(base: float, adapted: float) -> str:
    return f"{base:.2f} -> {adapted:.2f} ({adapted / base:.3f}x)"


def report(
    doctors: list[Doctor],
    cross: dict[str, dict[str, float]],
    generated: dict[str, dict[str, Any]],
    served_matches: bool,
    config: Any,
    load_seconds: float,
) -> None:
    ids = [d.doctor_id for d in doctors]
    print("\n== training (per doctor)")
    print(f"{'doctor':14} {'notes tr/ho':>11} {'steps':>5} {'tokens':>7} {'s':>6} {'s/1k tok':>8} {'peak RSS MB':>11}")
    for d in doctors:
        f = d.figures or {}
        print(
            f"{d.doctor_id:14} {f['train_notes']:>5}/{f['held_out_notes']:<5} {f['steps']:>5} {f['tokens']:>7} "
            f"{f['train_seconds']:>6.0f} {f['seconds_per_1k_tokens']:>8.2f} {f['peak_rss_mb']:>11}"
        )
    print(f"(base model load {load_seconds:.0f} s, not included)")
    print("\n== perplexity, base -> adapted (ratio), and the gate (held-out -5 % needed, general +5 % allowed)")
    print(f"{'doctor':14} {'held-out':>26} {'general':>26}  gate")
    for d in doctors:
        p = (d.figures or {})["perplexity"]
        held = _change(p["base_heldout"], p["adapted_heldout"])
        gen = _change(p["base_general"], p["adapted_general"])
        kept = (d.figures or {})["kept"]
        print(f"{d.doctor_id:14} {held:>26} {gen:>26}  {'KEPT' if kept else 'REJECTED'} [{verdict(kept)}]")
    print("\n== cross matrix: adapter (row) on held-out notes (column), perplexity as a ratio to the base's")
    print(f"{'adapter':14} " + " ".join(f"{c:>12}" for c in ids) + "  own helps most")
    for row in ids:
        own = cross[row][row]
        best = all(own < cross[row][c] for c in ids if c != row) and all(
            own < cross[other][row] for other in ids if other != row
        )
        print(f"{row:14} " + " ".join(f"{cross[row][c]:>12.3f}" for c in ids) + f"  {verdict(best)}")
    print(f"(served from saved weights through the processor's cache, equal to the training run's: {served_matches})")
    print("\n== generation through the processor (greedy), held-out dictations")
    print(
        f"{'doctor':14} {'notes':>5} {'fidelity base':>13} {'adapter':>8} {'faithful base':>13} {'adapter':>8} "
        f"{'numbers kept':>12} {'(own notes)':>11} {'s/note base':>11} {'adapter':>8} {'tok/s':>6}"
    )
    for d in doctors:
        g = generated[d.doctor_id]
        notes = len(g["base"]["structures"])
        better = g["adapter"]["fidelity"] > g["base"]["fidelity"]
        print(
            f"{d.doctor_id:14} {notes:>5} {g['base']['fidelity']:>13.0%} {g['adapter']['fidelity']:>8.0%} "
            f"{g['base']['faithful']:>13.0%} {g['adapter']['faithful']:>8.0%} {g['adapter']['number_recall']:>12.0%} "
            f"{g['reference_number_recall']:>11.0%} "
            f"{g['base']['seconds_per_note']:>11.1f} {g['adapter']['seconds_per_note']:>8.1f} "
            f"{g['adapter']['tokens_per_second'] or 0:>6.1f}  {verdict(better)}"
        )
    kept = sum(1 for d in doctors if (d.figures or {}).get("kept"))
    steps = sorted({(d.figures or {}).get("steps") for d in doctors})
    print(f"\nsummary: gate kept {kept}/{len(doctors)} adapters; steps {steps}, lr {config.learning_rate}")


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
