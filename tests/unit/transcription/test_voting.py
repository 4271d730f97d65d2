"""ROVER voting: alignment of hypotheses of different lengths, majority and confidence, and the backbone's say in
ties."""

from core.transcription.voting import Word, align, vote, words_of


def hyp(text: str, confidence: float = 0.9) -> list[Word]:
    return words_of(text, confidence)


def test_two_against_one_wins_a_substitution_and_keeps_the_winners_spelling() -> None:
    result = vote([hyp("start metformin 500 mg"), hyp("Start Metformin, 500 mg."), hyp("start met for men 500 mg")])
    assert result.text == "start metformin 500 mg"
    assert 0 < result.confidence < 1 and result.agreement < 1


def test_a_word_only_one_transcriber_heard_is_dropped_and_one_two_heard_is_kept() -> None:
    assert vote(
        [hyp("the the patient is stable"), hyp("the patient is stable"), hyp("the patient is stable")]
    ).text == ("the patient is stable")
    assert vote([hyp("patient stable"), hyp("patient is stable"), hyp("patient is stable")]).text == (
        "patient is stable"
    )


def test_alignment_puts_each_word_in_its_slot_with_gaps_for_missing_words() -> None:
    network = align([hyp("a b c"), hyp("a c"), hyp("a x b c")])
    columns = [[w.text if w else None for w in slot] for slot in network]
    assert columns == [["a", "a", "a"], [None, None, "x"], ["b", None, "b"], ["c", "c", "c"]]


def test_when_all_disagree_the_backbone_wins_unless_another_is_much_surer() -> None:
    assert vote([hyp("hypertension"), hyp("hypotension"), hyp("hyper tension")]).text == "hypertension"
    sure = vote([hyp("hypertension", 0.3), hyp("hypotension", 0.99), hyp("tension", 0.3)])
    assert sure.text == "hypotension"


def test_unanimous_full_confidence_is_confidence_one_and_nothing_is_empty() -> None:
    result = vote([hyp("no known allergies", 1.0)] * 3)
    assert (result.text, result.confidence, result.agreement) == ("no known allergies", 1.0, 1.0)
    assert vote([[], [], []]).text == "" and vote([[], [], []]).confidence == 0.0
