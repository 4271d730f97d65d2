#!/usr/bin/env python3
"""Benchmark: majority voting (ROVER) against each transcriber alone — word error rate and latency.

What is compared, in one run: every registered local transcriber (whisper_local and its voters: greedy, float32,
slower, faster) and the vote of the routing file's set-up (`transcription.voters`, the first
`voting_threshold - 1` beside whisper_local, whether or not voting is switched on), each decoding every clip of the
clinical sets (espeak-ng clips made by scripts/make-dictation-clips.sh: tuning and held-out, with the doctor's
vocabulary as the prompt, as the receiver gives it) and of the real-speech set (tests/data/speech: LibriSpeech,
LJ Speech, FLEURS, JFK). Each clip is decoded whole, as one final, with the receiver's engine settings. Latency: the
p90 of one final's decode, whisper_local alone against the vote, with 1 and with 4 finals at once (4 doctors).
Target: the vote's WER ≤ the best single transcriber's on each set. Prints PASS or BELOW TARGET; exits 0 either way.

    python scripts/bench/bench_voting.py [--streams 1 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import benchlib


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 4], help="finals decoded at once (default 1 4)")
    return parser.parse_args(argv)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from core.orchestration.agent_router import AgentRouter
    from core.transcription.engine import prompt_from_vocabulary
    from core.transcription.evaluation import (
        CLIP_VOCABULARY,
        HELDOUT_VOCABULARY,
        load_speech,
        make_clips,
        word_error_rate,
    )
    from core.transcription.voting import VotingTranscriber

    router = AgentRouter.from_file()
    routing = router.config.transcription
    voters = ["whisper_local", *routing.voters[: routing.voting_threshold - 1]]
    names = ["whisper_local", *routing.voters]
    engines = {name: router.registry.create("transcriber", name) for name in names}
    vote = VotingTranscriber([(n, engines[n]) for n in voters])
    everyone = VotingTranscriber([(n, engines[n]) for n in names])
    with tempfile.TemporaryDirectory() as tmp:
        sets = {
            "clinical tuning": (make_clips(Path(tmp) / "tuning"), CLIP_VOCABULARY),
            "clinical held-out": (make_clips(Path(tmp) / "heldout", "heldout"), HELDOUT_VOCABULARY),
            "real speech": (load_speech(), None),
        }
        rows: dict[str, dict[str, float]] = {}
        for set_name, (clips, vocabulary) in sets.items():
            prompt = prompt_from_vocabulary(vocabulary) if vocabulary else None
            refs = [c.reference for c in clips.values()]
            audio = [c.audio() for c in clips.values()]
            for label, engine in [
                *engines.items(),
                (f"vote of {len(voters)}", vote),
                (f"vote of {len(names)}", everyone),
            ]:
                hyps = [" ".join(s.text for s in engine.transcribe(a, initial_prompt=prompt)) for a in audio]
                rows.setdefault(label, {})[set_name] = word_error_rate(refs, hyps)
            print(f"decoded {set_name}: {len(clips)} clips, {sum(len(r.split()) for r in refs)} words", flush=True)
        heldout = [c.audio() for c in sets["clinical held-out"][0].values()]
        latency = {n: _latency(engines["whisper_local"], heldout, n) for n in args.streams}
        vote_latency = {n: _latency(vote, heldout, n) for n in args.streams}
    print(f"\nWER by set (vote of {len(voters)}: {'+'.join(voters)})")
    print(f"{'transcriber':<18}" + "".join(f"{s:>20}" for s in sets))
    for label, by_set in rows.items():
        print(f"{label:<18}" + "".join(f"{by_set[s]:>20.4f}" for s in sets))
    verdicts = []
    for s in sets:
        best = min(rows[n][s] for n in names)
        voted = rows[f"vote of {len(voters)}"][s]
        verdicts.append(voted <= best)
        print(f"{s}: vote {voted:.4f} vs best single {best:.4f} -> {'PASS' if voted <= best else 'BELOW TARGET'}")
    for n in args.streams:
        single, voted = latency[n], vote_latency[n]
        print(
            f"final decode p90 at {n} stream(s): whisper_local {single:.2f} s, "
            f"vote {voted:.2f} s ({voted / single:.2f}x)"
        )
    print("PASS" if all(verdicts) else "BELOW TARGET")
    return 0


def _latency(engine: Any, audio: list[Any], streams: int) -> float:
    """p90 seconds of one final's decode with `streams` decoded at once (each stream decodes every clip)."""
    times: list[float] = []

    def one_stream(_: int) -> None:
        for a in audio:
            started = time.perf_counter()
            engine.transcribe(a)
            times.append(time.perf_counter() - started)

    with ThreadPoolExecutor(max_workers=streams) as pool:
        list(pool.map(one_stream, range(streams)))
    return p90(times)


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
