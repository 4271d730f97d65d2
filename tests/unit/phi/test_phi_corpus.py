import importlib.util
import sys
from pathlib import Path

import pytest

from core.phi import PHI_TYPES, detect
from core.phi._lexicon import names, places

CORPUS_SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "bench" / "phi_corpus.py"


@pytest.fixture(scope="module")
def corpus():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("phi_corpus", CORPUS_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["phi_corpus"] = module
    spec.loader.exec_module(module)
    return module


def test_corpus_is_deterministic_and_well_formed(corpus) -> None:  # type: ignore[no-untyped-def]
    rows = corpus.generate(seed=3, notes=40)
    assert rows == corpus.generate(seed=3, notes=40)
    assert rows != corpus.generate(seed=4, notes=40)
    kinds = {name for name, _ in PHI_TYPES}
    seen = set()
    for row in rows:
        for start, end, kind in row["spans"]:
            assert kind in kinds
            assert 0 <= start < end <= len(row["text"])
            assert row["text"][start:end].strip() == row["text"][start:end]
            seen.add(kind)
    assert len(seen) >= 15, "the corpus mixes most identifier types"
    assert any(row["text"].isupper() for row in rows), "some notes are ALL-CAPS"


def test_detector_on_a_fresh_corpus_seed(corpus) -> None:  # type: ignore[no-untyped-def]
    """A regression guard: exact-type precision and recall on notes the detector was not tuned on."""
    rows = corpus.generate(seed=2024, notes=60)
    hits = predicted = found = gold = 0
    for row in rows:
        pred = detect(row["text"])
        spans = row["spans"]
        predicted += len(pred)
        hits += sum(any(s < f.end and f.start < e and k == f.type for s, e, k in spans) for f in pred)
        gold += len(spans)
        found += sum(any(f.start < e and s < f.end and f.type == k for f in pred) for s, e, k in spans)
    assert hits / predicted >= 0.97
    assert found / gold >= 0.95


def test_shipped_lists_load_with_their_flags() -> None:
    nl = names()
    assert {"JOHN", "MARIA"} <= nl.first
    assert {"SMITH", "PATEL", "NGUYEN"} <= nl.last
    assert {"WILL", "MAY", "BROWN"} <= nl.ambiguous
    assert "SMITH" not in nl.ambiguous
    assert "PATIENT" not in nl.any, "clinical words are removed from the name lists"
    assert len(nl.pool_first) > 500 and len(nl.pool_last) > 1000
    p = places()
    assert {"CHICAGO", "SPRINGFIELD", "NORMAL"} <= p.cities
    assert "CHICAGO" in p.big and "NORMAL" not in p.big
