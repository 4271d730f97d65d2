"""Writing samples of simulated doctors, each with a style of their own, for training and benchmarking adapters.

Issue 17 needs doctors whose notes differ in form — section order, headings, bullets or prose, terse or narrative,
abbreviations — while their content varies like a clinic's (`core.training.clinical_cases`: several dozen
conditions, randomised values). Four styles:

- `soap`    SUBJECTIVE: / OBJECTIVE: / ASSESSMENT: / PLAN: in capitals, telegraphic prose, heavy abbreviations.
- `consult` History of Present Illness / Physical Examination / Impression / Recommendations, title-case headings on
            their own line without colons, long narrative sentences, words spelled out.
- `apso`    A/P: first, then S: and O:, terse bullets in lower case, heavy abbreviations.
- `letter`  a letter to the referring colleague: "Dear Colleague," ... "With kind regards,", narrative paragraphs,
            no headings.

`generate(style, n, seed)` is deterministic (same style, n and seed: same notes) and never repeats a note. The notes
carry no names, dates, places, phone numbers nor ages of 90 or more, so de-identification leaves them as they are
(tests/unit/training/test_simulated_doctors.py checks every one through the collector's `deidentify`).

Writing them out, one sample per file, for `intelluxe personalize add DOCTOR --type note FILE...`:

    .venv/bin/python -m core.training.simulated_doctors OUT_DIR [--per-doctor 60] [--seed 17] [--styles soap,apso]

writes OUT_DIR/<doctor id>/<doctor id>-NNN.txt and prints a JSON summary (doctor ids are `sim-<style>`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.training.abbreviations import abbreviate
from core.training.clinical_cases import Visit, draw_visit, fill

Renderer = Callable[[Visit, random.Random], str]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _sentence(text: str) -> str:
    text = _cap(text.strip())
    return text if text.endswith((".", "?", "!")) else text + "."


def _join(items: Sequence[str], conjunction: str = "and") -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _duration_adjective(duration: str) -> str:
    """ "3 days" -> "3-day" (a 3-day history)."""
    n, unit = duration.split()
    return f"{n}-{unit.rstrip('s')}"


def _duration_short(duration: str) -> str:
    """ "3 days" -> "3d", "2 weeks" -> "2wk", "4 months" -> "4mo"."""
    n, unit = duration.split()
    return n + {"day": "d", "week": "wk", "month": "mo"}[unit.rstrip("s")]


def _follow_up_short(follow_up: str) -> str:
    if follow_up == "as needed":
        return "PRN"
    n, unit = follow_up.split()
    return f"{n} {'wk' if unit.startswith('week') else 'mo' if unit.startswith('month') else 'd'}"


# ------------------------------------------------------------------------------------------------ soap (terse prose)


def _soap(v: Visit, rng: random.Random) -> str:
    sex = "F" if v.female else "M"
    subjective = [
        fill(f"{v.age} yo {sex} {{c/o|presents w/|here for}} {v.complaint} x {v.duration}", rng),
        f"{rng.choice(('Reports', 'Endorses', 'Also', '+'))} {_join(v.symptoms)}",
        f"Denies {_join(v.negatives, 'or')}",
        f"PMH {', '.join(v.history)}" if v.history else rng.choice(("No PMH", "PMH unremarkable")),
    ]
    if v.medicines:
        subjective.append(f"Meds {', '.join(v.medicines)}")
    subjective.append(v.allergies)
    if rng.random() < 0.6:
        subjective.append(f"Social: {v.social}")
    vit = v.vitals
    objective = [
        f"T {vit['temperature']}, HR {vit['heart_rate']}, BP {vit['blood_pressure']}, RR {vit['respiratory_rate']}, "
        f"SpO2 {vit['saturation']}% RA",
        *v.exam,
        *v.results,
    ]
    assessment = [v.diagnosis]
    if rng.random() < 0.4 and v.history:
        assessment.append(f"{v.history[0]}, stable")
    plan = [*v.plan, f"f/u {_follow_up_short(v.follow_up)}"]

    def body(sentences: list[str]) -> str:
        return " ".join(_sentence(abbreviate(s)) for s in sentences)

    return "\n\n".join(
        f"{head}:\n{body(part)}"
        for head, part in (
            ("SUBJECTIVE", subjective),
            ("OBJECTIVE", objective),
            ("ASSESSMENT", assessment),
            ("PLAN", plan),
        )
    )


# ------------------------------------------------------------------------------------------------ consult (narrative)


def _consult_history(v: Visit, rng: random.Random) -> str:
    he, his = v.pronoun, v.possessive
    opening = rng.choice(
        (
            f"This is a pleasant {v.age}-year-old {v.person} who presents with a {_duration_adjective(v.duration)} "
            f"history of {v.complaint}, which has been accompanied by {_join(v.symptoms)}.",
            f"I saw this {v.age}-year-old {v.person} today for {v.complaint} that began about {v.duration} ago, "
            f"and {he} describes {_join(v.symptoms)} over the same period.",
            f"The patient is a {v.age}-year-old {v.person} who was seen today because of {v.complaint} for the past "
            f"{v.duration}, together with {_join(v.symptoms)}.",
        )
    )
    sentences = [
        opening,
        f"{_cap(he)} specifically denies {_join(v.negatives, 'or')}, and {he} has not noticed anything else that "
        f"concerns {'her' if v.female else 'him'}.",
    ]
    if v.history:
        meds = f"{he} currently takes {_join(v.medicines)}" if v.medicines else f"{he} takes no regular medicines"
        sentences.append(f"{_cap(his)} past medical history is notable for {_join(v.history)}, and {meds}.")
    else:
        meds = f"although {he} takes {_join(v.medicines)}" if v.medicines else f"and {he} takes no regular medicines"
        sentences.append(f"{_cap(he)} has no significant past medical history of note, {meds}.")
    allergy = (
        f"{he} has no known drug allergies"
        if v.allergies.startswith("no known")
        else f"{he} reports an allergy to {v.allergies}"
    )
    sentences.append(f"With regard to allergies {allergy}, and socially {he} {v.social}.")
    return " ".join(sentences)


def _consult(v: Visit, rng: random.Random) -> str:
    he, his, him = v.pronoun, v.possessive, ("her" if v.female else "him")
    vit = v.vitals
    exam = [
        f"On examination {he} {rng.choice(('appeared comfortable at rest', 'was alert and in no distress', 'looked tired but was conversing easily'))}, "  # noqa: E501
        f"with a temperature of {vit['temperature']} degrees and a heart rate of {vit['heart_rate']}.",
        f"{_cap(his)} blood pressure was {vit['blood_pressure']}, the respiratory rate {vit['respiratory_rate']} "
        f"and the oxygen saturation {vit['saturation']} percent on room air.",
        f"The examination was notable for {_join(v.exam)}, and the remainder of the examination was unremarkable.",
    ]
    if v.results:
        exam.append(f"The investigations available to me today show {_join(v.results)}.")
    impression = [
        rng.choice(
            (
                f"Taken together, the history and findings are most consistent with {v.diagnosis} in this "
                f"{v.age}-year-old {v.person}.",
                f"In my opinion the overall picture is one of {v.diagnosis}, and I do not see features that would "
                "point to a more serious alternative at this stage.",
                f"I believe that {he} is presenting with {v.diagnosis}, and I have explained this diagnosis to {him} "
                "in some detail today.",
            )
        )
    ]
    plan = f"My recommendations are to proceed as follows: {'; '.join(v.plan)}."
    if v.follow_up == "as needed":
        after = (
            f"I have not arranged routine follow-up, but I would be very happy to see {him} again should the symptoms "
            "persist or change in any way."
        )
    else:
        after = (
            f"I would be happy to see {him} again in about {v.follow_up}, or sooner if there is any deterioration in "
            f"{his} condition in the meantime."
        )
    return "\n\n".join(
        (
            f"History of Present Illness\n{_consult_history(v, rng)}",
            f"Physical Examination\n{' '.join(exam)}",
            f"Impression\n{' '.join(impression)}",
            f"Recommendations\n{plan} {after}",
        )
    )


# ------------------------------------------------------------------------------------------------ apso (terse bullets)


def _apso(v: Visit, rng: random.Random) -> str:
    sex = "F" if v.female else "M"
    vit = v.vitals
    qualifier = rng.choice(("", "", " - likely", " - uncomplicated", " - new dx"))
    ap = [f"{v.diagnosis}{qualifier}", *v.plan, f"f/u {_follow_up_short(v.follow_up)}"]
    s = [
        f"{v.age}{sex} c/o {v.complaint} x{_duration_short(v.duration)}",
        f"+ {', '.join(v.symptoms)}",
        f"no {', '.join(v.negatives)}",
        f"PMH {', '.join(v.history)}" if v.history else "PMH none",
        f"meds {', '.join(v.medicines)}" if v.medicines else "no meds",
        v.allergies,
    ]
    o = [
        f"T {vit['temperature']} HR {vit['heart_rate']} BP {vit['blood_pressure']} RR {vit['respiratory_rate']} "
        f"SpO2 {vit['saturation']}% RA",
        *v.exam,
        *v.results,
    ]

    def bullets(items: list[str]) -> str:
        return "\n".join(f"- {abbreviate(item).rstrip('.')}" for item in items)

    return f"A/P:\n{bullets(ap)}\n\nS:\n{bullets(s)}\n\nO:\n{bullets(o)}"


# ------------------------------------------------------------------------------------------------ letter (narrative)


def _letter(v: Visit, rng: random.Random) -> str:
    he, his, him = v.pronoun, v.possessive, ("her" if v.female else "him")
    vit = v.vitals
    opening = rng.choice(
        (
            f"Thank you for asking me to see this {v.age}-year-old {v.person}, who came to see me with a "
            f"{_duration_adjective(v.duration)} history of {v.complaint}.",
            f"Many thanks for referring this {v.age}-year-old {v.person}, whom I saw in the clinic today with "
            f"{v.complaint} of about {v.duration} duration.",
            f"I was pleased to see your {v.age}-year-old patient today, who has had {v.complaint} for the last "
            f"{v.duration}.",
        )
    )
    history = (
        f"{_cap(he)} tells me that {he} has also had {_join(v.symptoms)}, although {he} has not had "
        f"{_join(v.negatives, 'or')}."
    )
    background = f"{_cap(his)} background includes {_join(v.history)}" if v.history else f"{_cap(he)} is otherwise well"
    meds = f"{he} takes {_join(v.medicines)}" if v.medicines else f"{he} takes no regular medicines"
    paragraph1 = f"{opening} {history} {background}, {meds}, and {he} {v.social}."
    paragraph2 = (
        f"When I examined {him}, {his} temperature was {vit['temperature']} degrees, the pulse {vit['heart_rate']} and "
        f"the blood pressure {vit['blood_pressure']}, with oxygen saturation of {vit['saturation']} percent on room "
        f"air. I found {_join(v.exam)}."
    )
    if v.results:
        paragraph2 += f" The tests so far have shown {_join(v.results)}."
    paragraph3 = (
        f"I think that {he} has {v.diagnosis}, and I have talked this through with {him} today. "
        f"We agreed on the following plan: {'; '.join(v.plan)}."
    )
    if v.follow_up == "as needed":
        paragraph4 = (
            f"I have not arranged to see {him} again, but I would be glad to do so if things do not settle as we "
            "expect. Please do not hesitate to contact me in the meantime."
        )
    else:
        paragraph4 = (
            f"I will see {him} again in {v.follow_up} to review progress, and I will of course write to you again "
            "after that visit."
        )
    salutation = rng.choice(("Dear Colleague,", "Dear Doctor,"))
    closing = rng.choice(("With kind regards,", "Kind regards,", "Yours sincerely,"))
    return "\n\n".join((salutation, paragraph1, paragraph2, paragraph3, paragraph4, closing))


# ------------------------------------------------------------------------------------------------ the styles


@dataclass(frozen=True)
class DoctorStyle:
    """A simulated doctor: the style's name, the doctor id their samples are filed under, what marks the style."""

    name: str
    doctor_id: str
    description: str
    render: Renderer


STYLES: dict[str, DoctorStyle] = {
    s.name: s
    for s in (
        DoctorStyle(
            "soap", "sim-soap", "SUBJECTIVE/OBJECTIVE/ASSESSMENT/PLAN in capitals, terse prose, abbreviations", _soap
        ),
        DoctorStyle(
            "consult", "sim-consult", "HPI / Physical Examination / Impression / Recommendations, narrative", _consult
        ),
        DoctorStyle("apso", "sim-apso", "A/P first, then S and O, terse bullets, abbreviations", _apso),
        DoctorStyle(
            "letter", "sim-letter", "a letter to the referring colleague, narrative paragraphs, no headings", _letter
        ),
    )
}
DEFAULT_STYLES = ("soap", "consult", "apso")  # the three; `letter` is the fourth for a wider benchmark


def generate(doctor_style: str, n: int, seed: int = 0) -> list[str]:
    """`n` distinct notes in the style (a name of `STYLES`), the same for the same style, n and seed.

    The seed is mixed with the style's name, so two doctors generated with one seed see different visits.
    """
    try:
        style = STYLES[doctor_style]
    except KeyError:
        raise ValueError(f"unknown style {doctor_style!r}; one of {', '.join(STYLES)}") from None
    if n < 0:
        raise ValueError("n must be 0 or more")
    rng = random.Random(f"{style.name}:{seed}")  # noqa: S311 (test data, reproducible on purpose)
    notes: list[str] = []
    seen: set[str] = set()
    while len(notes) < n:
        note = style.render(draw_visit(rng), rng)
        if note not in seen:
            seen.add(note)
            notes.append(note)
    return notes


def write_samples(
    out_dir: Path, per_doctor: int, seed: int, styles: Sequence[str] = DEFAULT_STYLES
) -> dict[str, list[Path]]:
    """One file per note under out_dir/<doctor id>/, named <doctor id>-NNN.txt; {doctor id: [paths]}."""
    written: dict[str, list[Path]] = {}
    for name in styles:
        style = STYLES[name]
        folder = out_dir / style.doctor_id
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, note in enumerate(generate(name, per_doctor, seed), start=1):
            path = folder / f"{style.doctor_id}-{i:03d}.txt"
            path.write_text(note + "\n", encoding="utf-8")
            paths.append(path)
        written[style.doctor_id] = paths
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.training.simulated_doctors",
        description="Write simulated doctors' writing samples, one note per file, for `intelluxe personalize add`.",
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--per-doctor", type=int, default=60, help="notes per doctor (default 60)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--styles",
        default=",".join(DEFAULT_STYLES),
        help=f"comma-separated, of {', '.join(STYLES)} (default {','.join(DEFAULT_STYLES)})",
    )
    args = parser.parse_args(argv)
    styles = [s.strip() for s in args.styles.split(",") if s.strip()]
    unknown = [s for s in styles if s not in STYLES]
    if unknown or args.per_doctor < 1:
        parser.error(f"unknown style(s): {', '.join(unknown)}" if unknown else "--per-doctor must be at least 1")
    written = write_samples(args.out_dir, args.per_doctor, args.seed, styles)
    summary = {
        doctor: {"files": len(paths), "folder": str(paths[0].parent), "style": STYLES[style].description}
        for (doctor, paths), style in zip(written.items(), styles, strict=True)
    }
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
