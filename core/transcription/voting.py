"""Majority voting over several transcribers: ROVER (Fiscus, 1997) — align the hypotheses word by word into one
network of slots, then let each slot vote.

Alignment: the first hypothesis (the routed transcriber's) is the network's backbone; each further hypothesis is
aligned to the network by edit distance, a word matching a slot when it equals (normalised: lower case, no
punctuation) any word already in it, a gap becoming an empty vote. Vote: in each slot, a candidate word (or the
empty word) scores `ALPHA * share of the voters + (1 - ALPHA) * mean confidence of its voters` (NIST ROVER's
"average confidence" scheme; the empty word's confidence is `NULL_CONFIDENCE`); the best score wins, a tie goes to
the backbone's word. The winner keeps the surface form (case, punctuation) of its most confident voter.

The final's confidence is the mean, over the slots whose winner is a word, of the winner's score: 1.0 when every
transcriber wrote the same words with full confidence, lower where they disagreed or were unsure. It is what the
receiver compares with `reasoning.confidence_threshold` to mark a final for review.

Why words and not time: faster-whisper gives word times only with its extra alignment pass (about a third more
decode time on tiny.en here); without them, segments' confidences stand for their words. A transcriber that gives
`Segment.words` with per-word confidences is voted on with those.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.transcription.engine import AudioContext, Segment

ALPHA = 0.5  # weight of the share of voters against their confidence (NIST ROVER's usual trade-off)
NULL_CONFIDENCE = 0.7  # the confidence an empty vote (a transcriber heard nothing there) counts with
_PUNCT = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class Word:
    """One word of a hypothesis with the confidence its transcriber gave it (0-1)."""

    text: str
    confidence: float

    @property
    def key(self) -> str:
        return normalise(self.text)


@dataclass(frozen=True)
class Vote:
    text: str
    confidence: float
    agreement: float  # share of the slots in which every transcriber agreed (a diagnostic for the report)


def normalise(word: str) -> str:
    return _PUNCT.sub("", word.lower())


def words_of(text: str, confidence: float) -> list[Word]:
    """A hypothesis's words, each with its segment's confidence."""
    return [Word(w, confidence) for w in text.split() if normalise(w)]


# A slot: per transcriber, its word there or None (it wrote nothing there).
Slot = list[Word | None]


def align(hypotheses: Sequence[Sequence[Word]]) -> list[Slot]:
    """The word network of the hypotheses (see the module's docstring); slot[i] is transcriber i's word."""
    if not hypotheses:
        return []
    n = len(hypotheses)
    network: list[Slot] = [[w] + [None] * (n - 1) for w in hypotheses[0]]
    for index in range(1, n):
        network = _merge(network, list(hypotheses[index]), index, n)
    return network


def _merge(network: list[Slot], words: list[Word], index: int, n: int) -> list[Slot]:
    rows, cols = len(network), len(words)
    keys = [{w.key for w in slot if w is not None} for slot in network]
    # cost[i][j]: aligning the first i slots with the first j words. Substitution 1, match 0, gap 1.
    cost = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        cost[i][0] = i
    for j in range(1, cols + 1):
        cost[0][j] = j
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            match = 0 if words[j - 1].key in keys[i - 1] else 1
            cost[i][j] = min(cost[i - 1][j - 1] + match, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    merged: list[Slot] = []
    i, j = rows, cols
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + (0 if words[j - 1].key in keys[i - 1] else 1):
            slot = list(network[i - 1])
            slot[index] = words[j - 1]
            merged.append(slot)
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            merged.append(list(network[i - 1]))  # this transcriber wrote nothing here
            i -= 1
        else:
            slot: Slot = [None] * n
            slot[index] = words[j - 1]  # a word only this one (so far) wrote
            merged.append(slot)
            j -= 1
    merged.reverse()
    return merged


def _score(voters: list[Word | None], n: int) -> float:
    confidence = sum(w.confidence if w is not None else NULL_CONFIDENCE for w in voters) / len(voters)
    return ALPHA * len(voters) / n + (1 - ALPHA) * confidence


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(words of the reference, word edits from the hypothesis to it), compared as `normalise` does: what a doctor's
    correction of a final says of the transcriber that wrote it."""
    ref = [k for k in (normalise(w) for w in reference.split()) if k]
    hyp = [k for k in (normalise(w) for w in hypothesis.split()) if k]
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j - 1] + (r != h), previous[j] + 1, current[j - 1] + 1)
        previous = current
    return len(ref), previous[-1]


def vote(hypotheses: Sequence[Sequence[Word]]) -> Vote:
    """The voted text of the hypotheses (the first is the backbone), its confidence and the full-agreement share."""
    network = align(hypotheses)
    n = len(hypotheses)
    out: list[str] = []
    scores: list[float] = []
    unanimous = 0
    for slot in network:
        candidates: dict[str, list[Word | None]] = {}
        for word in slot:
            candidates.setdefault(word.key if word is not None else "", []).append(word)
        if len(candidates) == 1:
            unanimous += 1

        score = {key: _score(voters, n) for key, voters in candidates.items()}
        backbone = slot[0].key if slot[0] is not None else ""
        best = max(candidates, key=lambda k: (score[k], k == backbone))
        if best:
            winner = max((w for w in candidates[best] if w is not None), key=lambda w: w.confidence)
            out.append(winner.text)
            scores.append(score[best])
    confidence = sum(scores) / len(scores) if scores else 0.0
    agreement = unanimous / len(network) if network else 1.0
    return Vote(" ".join(out), round(confidence, 4), round(agreement, 4))


class VotingTranscriber:
    """A transcription engine made of several: partials from the first (the routed transcriber) alone; each final
    decoded by every member at once and voted (`vote`). One `Segment` comes back, spanning the members' segments,
    with the vote's confidence.

    The members run on this object's own threads (one per member beyond the first, which runs on the calling
    worker of the transcription pool): a pool thread waiting on jobs it queued on its own pool could deadlock.
    `on_member(name, seconds, confidence)` is told each member's decode (the performance tracking).
    """

    def __init__(
        self,
        members: Sequence[tuple[str, Any]],
        *,
        on_member: Callable[[str, float, float], None] | None = None,
    ) -> None:
        if len(members) < 2:
            raise ValueError("voting needs at least two transcribers")
        self.members = list(members)
        self.names = [name for name, _ in members]
        self.parallelism = int(getattr(members[0][1], "parallelism", 1))
        self.model_path = getattr(members[0][1], "model_path", "")
        self._on_member = on_member
        self._executor = ThreadPoolExecutor(
            max_workers=self.parallelism * (len(members) - 1), thread_name_prefix="vote"
        )

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
    ) -> list[Segment]:
        name, first = self.members[0]
        if partial:
            return first.transcribe(audio, initial_prompt=initial_prompt, context=context, partial=True)
        kwargs = {"initial_prompt": initial_prompt, "context": context}
        others = [self._executor.submit(self._timed, n, e, audio, kwargs) for n, e in self.members[1:]]
        results = [self._timed(name, first, audio, kwargs), *(f.result() for f in others)]
        if not any(results):
            return []
        voted = vote([[w for s in segments for w in words_of(s.text, s.confidence)] for segments in results])
        if not voted.text:
            return []
        start = min(s.start for segments in results for s in segments)
        end = max(s.end for segments in results for s in segments)
        alternatives = tuple(
            (n, " ".join(s.text for s in segs).strip()) for n, segs in zip(self.names, results, strict=True)
        )
        return [Segment(voted.text, start, end, voted.confidence, alternatives)]

    def _timed(self, name: str, engine: Any, audio: np.ndarray, kwargs: dict[str, Any]) -> list[Segment]:
        started = time.perf_counter()
        segments = engine.transcribe(audio, **kwargs)
        if self._on_member is not None:
            confidence = sum(s.confidence for s in segments) / len(segments) if segments else 0.0
            self._on_member(name, time.perf_counter() - started, confidence)
        return segments

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
