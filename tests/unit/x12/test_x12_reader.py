"""The envelope reader: delimiters learned from each ISA, tolerant line breaks, envelope checks with positions."""

from __future__ import annotations

import pytest

from core.x12.reader import Delimiters, Segment, SegmentStream, X12ParseError, iter_segments, parse

ISA = "ISA*00*          *00*          *ZZ*CLINIC01       *ZZ*ACMEHEALTH     *260115*0930*^*00501*000000017*0*T*:~"

# One interchange, two groups, three transaction sets, written with the default delimiters; segment i+1 is line i.
BODY = [
    ISA[:-1],
    "GS*HS*CLINIC01*ACMEHEALTH*20260115*0930*17*X*005010X279A1",
    "ST*270*0001*005010X279A1",
    "BHT*0022*13*17*20260115*0930",
    "HL*1**20*1",
    "NM1*PR*2*ACME HEALTH*****PI*87726",
    "EQ*30^98**HC:99213:25",
    "SE*6*0001",
    "ST*270*0002*005010X279A1",
    "BHT*0022*13*18*20260115*0930",
    "SE*3*0002",
    "GE*2*17",
    "GS*HC*CLINIC01*ACMEHEALTH*20260115*0930*18*X*005010X222A1",
    "ST*837*0003*005010X222A1",
    "BHT*0019*00*42*20260115*1000*CH",
    "SE*3*0003",
    "GE*1*18",
    "IEA*2*000000017",
]


def render(
    segments: list[str],
    *,
    element: str = "*",
    component: str = ":",
    terminator: str = "~",
    repetition: str = "^",
    after: str = "",
) -> str:
    out = []
    for raw in segments:
        # Swap delimiters through placeholders so the new ones may equal old ones.
        text = raw.replace("*", "\x01").replace(":", "\x02").replace("^", "\x03")
        if raw.startswith("ISA"):
            # ISA11 is the repetition separator and ISA16 the component separator: both single characters.
            parts = text.split("\x01")
            parts[11], parts[16] = repetition, component
            text = "\x01".join(parts)
        text = text.replace("\x01", element).replace("\x02", component).replace("\x03", repetition)
        out.append(text + terminator + after)
    return "".join(out)


def _split(segment: Segment, n: int) -> tuple[tuple[str, ...], ...]:
    d = segment.delimiters
    return tuple(tuple(rep.split(d.component)) for rep in segment.repeats(n))


def shape(segments: list[Segment]) -> list[tuple[str, tuple[tuple[str, ...], ...], int]]:
    """Segments with every element split into components, so different delimiters compare equal.

    ISA11 and ISA16 are the delimiters themselves and are left out.
    """
    out = []
    for s in segments:
        numbers = [n for n in range(1, len(s.elements) + 1) if s.tag != "ISA" or n not in (11, 16)]
        out.append((s.tag, tuple(_split(s, n) for n in numbers), s.position))
    return out


def test_default_delimiters_are_learned_and_positions_count_from_one() -> None:
    [ich] = parse(render(BODY))
    assert ich.delimiters == Delimiters("*", ":", "~", "^")
    assert ich.isa.position == 1 and ich.isa.tag == "ISA" and len(ich.isa.elements) == 16
    assert ich.sender_id == "CLINIC01" and ich.receiver_id == "ACMEHEALTH" and ich.control_number == "000000017"
    assert [g.version for g in ich.groups] == ["005010X279A1", "005010X222A1"]
    first, second = ich.groups[0].transactions
    assert (first.st.position, first.se.position, second.st.position) == (3, 8, 9)
    assert [s.tag for s in first.segments] == ["BHT", "HL", "NM1", "EQ"]
    assert [s.position for s in first.segments] == [4, 5, 6, 7]
    assert second.segments[0].get(3) == "18"
    assert ich.groups[1].transactions[0].set_id == "837"
    assert [t.st.get(2) for _, t in ich.transactions("270")] == ["0001", "0002"]
    assert ich.iea is not None and ich.iea.position == 18


@pytest.mark.parametrize(
    ("element", "component", "terminator", "repetition", "after"),
    [
        ("*", ":", "~", "^", ""),
        ("*", ":", "~", "^", "\n"),
        ("*", ":", "~", "^", "\r\n"),
        ("|", "^", "\n", "}", ""),
        ("|", "^", "\n", "}", "\r"),  # \r\n line ends with a \n terminator
        ("\x1d", "\x1f", "\x1c", "\x1e", ""),  # the ASCII separators some mainframes use
        ("!", ">", "'", "`", "\n"),
    ],
)
def test_same_segments_whatever_the_delimiters_and_line_breaks(
    element: str, component: str, terminator: str, repetition: str, after: str
) -> None:
    expected = shape(list(iter_segments(render(BODY))))
    text = render(BODY, element=element, component=component, terminator=terminator, repetition=repetition, after=after)
    assert shape(list(iter_segments(text))) == expected
    [ich] = parse(text)
    assert ich.delimiters.element == element
    assert ich.delimiters.component == component
    assert ich.delimiters.segment == terminator
    assert ich.delimiters.repetition == repetition
    eq = ich.groups[0].transactions[0].segments[3]
    assert eq.component(3, 2) == "99213" and eq.component(3, 3) == "25" and eq.component(3, 4) == ""
    assert eq.repeats(1) == ("30", "98")


def test_isa11_u_means_no_repetition_separator() -> None:
    [ich] = parse(render(BODY, repetition="U"))
    assert ich.delimiters.repetition is None
    assert ich.groups[0].transactions[0].segments[3].repeats(1) == ("30U98",)


def test_fed_one_character_at_a_time_gives_the_same_segments() -> None:
    for after in ("", "\n", "\r\n"):
        text = render(BODY, after=after) + render(BODY, element="|", component="^", terminator="\n", repetition="}")
        whole = list(iter_segments(text))
        stream = SegmentStream()
        pieces: list[Segment] = []
        for char in text:
            stream.receive_data(char)
            while (segment := stream.next_segment()) is not None:
                pieces.append(segment)
        stream.end_of_input()
        pieces.extend(stream)
        assert pieces == whole
        assert len(whole) == 2 * len(BODY)


def test_two_interchanges_back_to_back_with_different_delimiters() -> None:
    text = render(BODY, after="\n") + "\n\n" + render(BODY, element="|", component="^", terminator="\n", repetition="}")
    first, second = parse(text)
    assert first.delimiters.element == "*" and second.delimiters.element == "|"
    assert second.isa.position == len(BODY) + 1
    assert second.groups[1].transactions[0].st.position == len(BODY) + 14


def test_bom_and_leading_whitespace_and_missing_final_terminator_are_tolerated() -> None:
    text = "\ufeff \r\n" + render(BODY, after="\n").rstrip("\n").rstrip("~")
    [ich] = parse(text)
    assert ich.iea is not None and ich.iea.get(2) == "000000017"


def test_isa_with_unpadded_fields_is_still_read() -> None:
    body = ["ISA*00**00**ZZ*CLINIC01*ZZ*ACMEHEALTH*260115*0930*^*00501*000000017*0*T*:", *BODY[1:]]
    [ich] = parse(render(body))
    assert ich.sender_id == "CLINIC01" and len(ich.groups) == 2


def test_segment_accessors() -> None:
    seg = Segment("NM1", ("IL", "1", "DOE", "JANE", "", "", "", "MI", "XYZ123456789"), 7)
    assert seg.get(1) == "IL" and seg.get(9) == "XYZ123456789" and seg.get(10) == "" and seg.get(5) == ""
    assert seg.component(1, 1) == "IL" and seg.component(1, 2) == "" and seg.components(5) == ()
    assert seg.label == "segment 7 (NM1)"
    with pytest.raises(IndexError):
        seg.get(0)


def _replace(index: int, new: str | None) -> list[str]:
    body = list(BODY)
    if new is None:
        del body[index]
    else:
        body[index] = new
    return body


@pytest.mark.parametrize(
    ("body", "position", "fragment"),
    [
        (_replace(7, "SE*7*0001"), 8, "segment 8 (SE): SE01 says 7 segments, transaction has 6"),
        (_replace(7, "SE*6*0009"), 8, "segment 8 (SE): SE02 '0009' does not match ST02 '0001' of segment 3 (ST)"),
        (_replace(7, "SE**0001"), 8, "segment 8 (SE): SE01 must be a count"),
        (_replace(11, "GE*1*17"), 12, "segment 12 (GE): GE01 says 1 transaction sets, group has 2"),
        (_replace(11, "GE*2*99"), 12, "segment 12 (GE): GE02 '99' does not match GS06 '17' of segment 2 (GS)"),
        (_replace(17, "IEA*1*000000017"), 18, "segment 18 (IEA): IEA01 says 1 functional groups, interchange has 2"),
        (_replace(17, "IEA*2*000000018"), 18, "segment 18 (IEA): IEA02 '000000018' does not match ISA13"),
        (_replace(7, None), 8, "segment 8 (ST): transaction set opened at segment 3 (ST) has no SE"),
        (_replace(11, None), 12, "segment 12 (GS): expected ST or GE"),
        (_replace(16, None), 17, "segment 17 (IEA): functional group opened at segment 13 (GS) has no GE"),
        (BODY[:-1], 18, "segment 18: input ends before the IEA that closes segment 1 (ISA)"),
        (BODY[:5], 6, "segment 6: input ends before the SE that closes segment 3 (ST)"),
        (["GS*HS*A*B*20260115*0930*1*X*005010X279A1", *BODY], 1, "segment 1 (GS): the input must start with an ISA"),
        (_replace(1, "ST*270*0001*005010X279A1"), 2, "segment 2 (ST): expected GS or IEA"),
        ([*BODY, "GS*HS"], 19, "segment 19 (GS): data after IEA that does not start a new interchange"),
        (_replace(4, "hello world"), 5, "segment 5: not a segment"),
        ([*BODY[:2], *BODY], 3, "segment 3 (ISA): functional group opened at segment 2 (GS) has no GE"),
        ([BODY[0], *BODY], 2, "segment 2 (ISA): new interchange before the IEA of the one opened at segment 1"),
    ],
)
def test_envelope_errors_name_the_position_and_tag(body: list[str], position: int, fragment: str) -> None:
    with pytest.raises(X12ParseError) as info:
        parse(render(body, after="\n"))
    assert fragment in str(info.value)
    assert info.value.position == position
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("text", ["", "   \n", "IS", "ISA*00*", ISA[:60]])
def test_empty_or_cut_short_input(text: str) -> None:
    with pytest.raises(X12ParseError) as info:
        parse(text)
    assert info.value.position == 1


def test_bad_isa_delimiters() -> None:
    with pytest.raises(X12ParseError, match=r"segment 1 \(ISA\): ISA16 and the segment terminator must not be"):
        parse(ISA[:-2] + "AB" + render(BODY[1:]))


def test_messages_never_quote_element_values() -> None:
    """Garbage that looks like patient data is named by its position only."""
    for bad in ("JANE DOE 19800101", "Doe*Jane*19800101", "D0E JANE*19800101"):
        with pytest.raises(X12ParseError) as info:
            parse(render(_replace(4, bad)))
        message = str(info.value)
        assert "DOE" not in message.upper() and "JANE" not in message.upper() and "19800101" not in message
        assert message.startswith("segment 5: not a segment")
    # A well-formed but unknown tag is read (the reader is tolerant) but never quoted.
    [ich] = parse(render(_replace(4, "DOE*JANE*19800101")))
    assert ich.groups[0].transactions[0].segments[1].tag == "DOE"
    with pytest.raises(X12ParseError) as info:
        parse(render(_replace(1, "DOE*JANE*19800101")))
    assert str(info.value) == "segment 2 (unknown tag): expected GS or IEA"
    assert info.value.tag is None
    with pytest.raises(X12ParseError) as info:
        parse("DOE*JANE~" + render(BODY))
    assert "DOE" not in str(info.value) and info.value.position == 1
