"""Benchmark core.phi.detect against Microsoft Presidio on the synthetic labelled corpus (scripts/bench/phi_corpus.py).

Speed: characters per second over the whole corpus on one core (best of --repeat runs, after a warm-up call that
loads the word lists), for `core.phi.detect` and for Presidio's `AnalyzerEngine.analyze` on the same texts.
Presidio runs without any NLP model: its `NoOpNlpEngine` (no spaCy model, no download), with its default predefined
recognizers, English, and its default score threshold (0) — also reported at 0.5. Its public-suffix lookup is kept
offline (TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS set empty, so tldextract uses its bundled snapshot).

Accuracy, matching rule: types are compared by group (a detector may call a ZIP a location, or a fax a phone):
name; location = street_address | city | zip_code; date = date | date_of_birth; age = age_over_89;
phone = phone | fax; email; ssn; url; ip; id = medical_record | health_plan_id | account_number | license_number |
vehicle_id | device_id | other_id. Presidio's entities map onto these groups (PERSON -> name, LOCATION -> location,
DATE_TIME -> date, PHONE_NUMBER -> phone, US_SSN/US_ITIN -> ssn, CREDIT_CARD/US_BANK_NUMBER/US_DRIVER_LICENSE/
MEDICAL_LICENSE/US_PASSPORT/IBAN_CODE/... -> id); an entity with no PHI group (NRP, CRYPTO...) counts against
precision. A predicted span is a true positive when it overlaps a gold span of the same group; a gold span is
recalled when some prediction of its group overlaps it. Precision = true-positive predictions / predictions,
recall = recalled gold spans / gold spans. "strict" (ours only) requires the exact type name instead of the group;
"any type" ignores types (what matters for redaction).

Install Presidio for this script only (the project does not depend on it):
    /tmp/venv/bin/pip install presidio-analyzer
Usage: python scripts/bench/bench_phi.py [--notes 300] [--seed 7] [--corpus FILE.jsonl] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_corpus import generate  # noqa: E402

from core.phi import detect  # noqa: E402

TARGET = 1_000_000
GROUP = {
    "name": "name",
    "street_address": "location",
    "city": "location",
    "zip_code": "location",
    "date": "date",
    "date_of_birth": "date",
    "age_over_89": "age",
    "phone": "phone",
    "fax": "phone",
    "email": "email",
    "ssn": "ssn",
    "url": "url",
    "ip_address": "ip",
    "medical_record": "id",
    "health_plan_id": "id",
    "account_number": "id",
    "license_number": "id",
    "vehicle_id": "id",
    "device_id": "id",
    "other_id": "id",
}
PRESIDIO_GROUP = {
    "PERSON": "name",
    "LOCATION": "location",
    "DATE_TIME": "date",
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email",
    "US_SSN": "ssn",
    "US_ITIN": "ssn",
    "URL": "url",
    "IP_ADDRESS": "ip",
    "CREDIT_CARD": "id",
    "US_BANK_NUMBER": "id",
    "US_DRIVER_LICENSE": "id",
    "MEDICAL_LICENSE": "id",
    "US_PASSPORT": "id",
    "IBAN_CODE": "id",
    "UK_NHS": "id",
    "US_MBI": "id",
    "US_NPI": "id",
}

Span = tuple[int, int, str]


def presidio_engine():  # type: ignore[no-untyped-def]
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # offline: use tldextract's bundled snapshot
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
    except ImportError:
        return None
    import logging

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])


def timed(run: Callable[[str], object], texts: list[str], repeat: int) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) of `repeat` passes over all texts, each measured separately.

    CPU time of this process is the "one core" figure: it does not count time the scheduler gave to other work on a
    shared machine; wall time is printed next to it.
    """
    run(texts[0])  # warm-up: word lists, compiled patterns
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            run(text)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu, best_wall


def score(gold: list[list[Span]], pred: list[list[Span]], key: Callable[[str], str | None]) -> dict[str, list[int]]:
    """Per group (and 'ALL'): [true-positive predictions, predictions, recalled gold, gold]."""
    out: dict[str, list[int]] = {}
    for g_spans, p_spans in zip(gold, pred, strict=True):
        for start, end, kind in p_spans:
            k = key(kind) or f"({kind})"
            hit = any(s < end and start < e and key(gk) == k for s, e, gk in g_spans)
            for bucket in (k, "ALL"):
                row = out.setdefault(bucket, [0, 0, 0, 0])
                row[0] += hit
                row[1] += 1
        for start, end, kind in g_spans:
            k = key(kind) or kind
            hit = any(s < end and start < e and key(pk) == k for s, e, pk in p_spans)
            for bucket in (k, "ALL"):
                row = out.setdefault(bucket, [0, 0, 0, 0])
                row[2] += hit
                row[3] += 1
    return out


def prf(row: list[int]) -> tuple[float, float, float]:
    p = row[0] / row[1] if row[1] else 0.0
    r = row[2] / row[3] if row[3] else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fmt(row: list[int] | None) -> str:
    if row is None:
        return f"{'-':>7} {'-':>7} {'-':>7} {'':>11}"
    p, r, f = prf(row)
    return f"{p:7.3f} {r:7.3f} {f:7.3f} {row[1]:>5}/{row[3]:<5}"


def table(title: str, columns: dict[str, dict[str, list[int]]], order: Iterable[str]) -> None:
    print(f"\n{title}")
    head = "".join(f" | {name:^35}" for name in columns)
    print(f"{'':18}{head}")
    print(f"{'':18}" + " | ".join([""] + [f"{'P':>7} {'R':>7} {'F1':>7} {'pred/gold':>11}"] * len(columns)))
    for group in order:
        print(f"{group:18}" + "".join(f" | {fmt(col.get(group))}" for col in columns.values()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, help="a JSONL file from phi_corpus.py (default: generate in memory)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    rows = (
        [json.loads(line) for line in args.corpus.read_text().splitlines() if line.strip()]
        if args.corpus
        else generate(args.seed, args.notes)
    )
    texts = [row["text"] for row in rows]
    gold = [[tuple(span) for span in row["spans"]] for row in rows]
    chars = sum(map(len, texts))
    print(f"corpus: {len(texts)} notes, {chars:,} characters, {sum(map(len, gold)):,} gold spans")

    engine = presidio_engine()
    if engine is None:
        print(
            "presidio-analyzer is not installed; install it for this benchmark only:\n"
            "    /tmp/venv/bin/pip install presidio-analyzer\n(no spaCy model is needed: the benchmark uses its "
            "NoOpNlpEngine)",
            file=sys.stderr,
        )
        return 2

    ours_cpu, ours_wall = timed(detect, texts, args.repeat)
    theirs_cpu, theirs_wall = timed(lambda t: engine.analyze(t, language="en"), texts, max(1, args.repeat - 1))
    ours_cps, theirs_cps = chars / ours_cpu, chars / theirs_cpu
    print(f"\nspeed (one core: CPU time of this process, best of {args.repeat} runs; wall-clock in brackets)")
    print(
        f"  core.phi.detect  : {ours_cps:>11,.0f} chars/s ({chars / ours_wall:,.0f} wall)"
        f"  = {ours_cps / TARGET:.2f}x the 1,000,000 target"
    )
    print(
        f"  presidio (no NLP): {theirs_cps:>11,.0f} chars/s ({chars / theirs_wall:,.0f} wall)"
        f"  -> core.phi is {ours_cps / theirs_cps:.1f}x faster"
    )

    ours = [[(f.start, f.end, f.type) for f in detect(t)] for t in texts]
    results = [engine.analyze(t, language="en") for t in texts]
    theirs = [[(r.start, r.end, r.entity_type) for r in res] for res in results]
    theirs_05 = [[(r.start, r.end, r.entity_type) for r in res if r.score >= 0.5] for res in results]

    def ours_key(kind: str) -> str | None:
        return GROUP.get(kind)

    def theirs_key(kind: str) -> str | None:
        return PRESIDIO_GROUP.get(kind) or GROUP.get(kind)

    groups = ["name", "location", "date", "age", "phone", "email", "ssn", "url", "ip", "id", "ALL"]
    columns = {
        "core.phi": score(gold, ours, ours_key),
        "presidio (threshold 0)": score(gold, theirs, theirs_key),
        "presidio (score >= 0.5)": score(gold, theirs_05, theirs_key),
    }
    table("accuracy by group (overlap + same group)", columns, groups)
    strict = score(gold, ours, lambda k: k)
    anytype = {
        "core.phi": score(gold, ours, lambda k: "phi"),
        "presidio (threshold 0)": score(gold, theirs, lambda k: "phi"),
        "presidio (score >= 0.5)": score(gold, theirs_05, lambda k: "phi"),
    }
    kinds = [k for k in GROUP if k in strict] + ["ALL"]
    table("core.phi by exact type (strict)", {"core.phi": strict}, kinds)
    table("any type (redaction view)", anytype, ["ALL"])
    unmatched = Counter(k for spans in theirs for _, _, k in spans if theirs_key(k) is None)
    if unmatched:
        print(f"\npresidio entities with no PHI group (count against precision): {dict(unmatched)}")
    f_ours, f_theirs = prf(columns["core.phi"]["ALL"])[2], prf(columns["presidio (threshold 0)"]["ALL"])[2]
    print(f"\noverall F1: core.phi {f_ours:.3f} vs presidio {f_theirs:.3f}; speed ratio {ours_cps / theirs_cps:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
