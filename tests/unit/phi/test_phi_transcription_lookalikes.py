"""What dictated operative and clinic reports say that is no identifier (issue 12): departments a patient is sent
to, towns that are also solutions or anatomy, devices named after towns or saints, eponyms of instruments and
techniques, authors of a method, specimen counts and scores. Each case is written by hand for this test, after the
patterns a review of public transcription samples found; none is copied from them."""

from __future__ import annotations

import pytest

from core.phi import detect


@pytest.mark.parametrize(
    "text",
    [
        "The specimen was sent to Pathology.  Hemostasis was obtained.",
        "The patient was taken to the Operating Room and placed supine.",
        "She was discharged to Post Anesthesia Care Unit in stable condition.",
        "The patient was brought to the Operative Suite.",
        "Mother will go to Postpartum and baby to the nursery.",
        "The graft was placed in saline until needed.",
        "The tunica vaginalis was opened and the testis delivered.",
        "A 21 mm Toronto stentless porcine valve was sewn in.",
        "The head was fixed in Mayfield 3-point fixation.",
        "A 25 mm St. Jude mechanical valve was implanted.",
        "Closure with interrupted sutures as described by Rowland, et al.",
        "Local with MAC anesthesia.",
        "The meatus was dilated with van Buren sounds.",
        "Pulse Generator Model Name:  Sigma, model #:  12345.",
        "Modified Le Fort I osteotomy was performed.",
        "An Allis was used on the uterus for traction.",
        "The cervix was serially dilated with Hank dilators.",
        "A #0 Vicryl loop suture was used.",
        "Gleason score 3 + 4 = 7/10.",
        "Adenocarcinoma in 8/12 cores and 1/5 lymph nodes.",
        "Injected with lidocaine and Marcaine (9/1 mixture).",
    ],
)
def test_report_words_that_are_no_identifiers(text: str) -> None:
    assert [(text[f.start : f.end], f.type) for f in detect(text)] == []


def test_real_places_and_names_beside_them_are_still_found() -> None:
    text = "Transferred to St. Agnes Hospital; she lives in Scranton. Seen by Dr. Okafor on 3/14/2019."
    found = {(text[f.start : f.end], f.type) for f in detect(text)}
    assert ("Scranton", "city") in found and ("Okafor", "name") in found
    assert any(kind == "facility" and "Agnes" in span for span, kind in found)
    assert any(kind == "date" for _span, kind in found)
