"""A transcriber whose finals the performance tracking hears: the receiver's pool runs the router's transcriber
through this, so each final's decode time, confidence and review mark reach `plugin_calls` under the routed
plugin's name — or under `vote` (with the number of voters) when voting is on; each voter's own decode is told by
the router's `on_member`. Partials are not recorded: they are replaced within a second and are not what a doctor
keeps."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core.orchestration.performance import NullTracker, Tracker
from core.transcription.engine import AudioContext, Segment
from core.transcription.session import segments_confidence

VOTE_LABEL = "vote"


class TrackedTranscriber:
    def __init__(self, engine: Any, label: str, *, review_below: float, voters: int = 1) -> None:
        self.engine = engine
        self.label = label
        self.review_below = review_below
        self.voters = voters
        self.tracker: Tracker = NullTracker()  # the receiver sets its own once it has a database
        self.parallelism = int(getattr(engine, "parallelism", 1))
        self.model_path = getattr(engine, "model_path", "")

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        initial_prompt: str | None = None,
        context: AudioContext | None = None,
        partial: bool = False,
    ) -> list[Segment]:
        started = time.perf_counter()
        segments = self.engine.transcribe(audio, initial_prompt=initial_prompt, context=context, partial=partial)
        if not partial and segments:
            confidence = segments_confidence(segments)
            self.tracker.record_call(
                self.label,
                "transcriber",
                time.perf_counter() - started,
                confidence,
                review=confidence < self.review_below,
                voters=self.voters,
            )
        return segments
