"""A doctor's corrected dictation becomes a writing sample for their personalization — only when they opted in.

Why here and not in the client: the receiver already holds the session's finals and the doctor's corrections of
them (decrypted with the doctor's key); the client would have to send the whole transcript again. The sample goes
through the same collector as every other (core.training.data_collector): de-identified before it is stored,
refused when identifiers remain, audited with no text. A refusal or a failure never touches the session, which is
already on record: it is counted for ops (`SAMPLES_FROM_CORRECTIONS`) and logged without text.
"""

from __future__ import annotations

import logging

from core import audit
from core.db import Database
from core.training.data_collector import Actor, InvalidSample, SampleRefused, TrainingDataCollector

from .dictation_metrics import SAMPLES_FROM_CORRECTIONS

log = logging.getLogger("audio-receiver.samples")


class CorrectionSamples:
    """Keeps a finished session's corrected transcript as a `corrected_dictation` sample for an opted-in doctor."""

    def __init__(self, db: Database, audit_writer: audit.AuditWriter) -> None:
        self.collector = TrainingDataCollector(db, audit_writer, service="audio-receiver")

    def offer(self, doctor_id: str, token_name: str, text: str) -> str:
        """Blocking (run it in a thread). Returns the outcome, also counted: stored, opted_out, too_short, refused
        or failed."""
        outcome = self._offer(doctor_id, token_name, text)
        SAMPLES_FROM_CORRECTIONS.labels(outcome=outcome).inc()
        return outcome

    def _offer(self, doctor_id: str, token_name: str, text: str) -> str:
        try:
            if not self.collector.feeds_corrections(doctor_id):
                return "opted_out"
            self.collector.collect_writing_sample(
                doctor_id, text, "corrected_dictation", actor=Actor(token_name, "clinician")
            )
        except InvalidSample:
            return "too_short"  # a corrected dictation of a few words shows nothing of how the doctor writes
        except SampleRefused:
            return "refused"  # audited by the collector with the categories
        except Exception as exc:  # noqa: BLE001 - the session is on record; this is extra
            log.error("could not keep a corrected dictation as a sample: %s", type(exc).__name__)
            return "failed"
        return "stored"
