"""A small, tolerant X12 interchange reader: text in, envelopes and segments out, no I/O.

Why our own: the payers and clearinghouses we read from differ in delimiters, line breaks and strictness, and the
libraries that know the implementation guides (pyx12, x12sdk) either validate too much or fail on valid files. We
only need the envelope structure and the segments; the transaction readers (eligibility, claims) pick what they use.

Theory of operation:
- `SegmentStream` turns text into segments. It learns the delimiters from each ISA: the element separator is the
  character after "ISA", the component separator is ISA16 and the segment terminator is the character after ISA16
  (index 104 and 105 of a well-formed, fixed-width ISA; the separators are counted rather than the columns, so an
  ISA with unpadded fields is read too; a line break between ISA16 and a terminator is layout). After an IEA the
  next ISA may bring other delimiters. Whitespace around a segment (line breaks before or after a terminator,
  indentation, trailing spaces, a byte-order mark) is layout and never part of a value. Like h11's connection, it
  takes text in chunks (`receive_data`) and hands back a segment or `None` for "need more data", so a caller may
  feed it a file or a socket piece by piece; `parse` feeds it the whole text at once. It works on offsets into its
  buffer, never on copies of the rest, so reading time is linear in the file's size.
- `parse` walks the segments through the envelope states below and checks every trailer against its header.

    state          segment   next state     check
    OUTSIDE        ISA       INTERCHANGE
    INTERCHANGE    GS        GROUP
    INTERCHANGE    IEA       OUTSIDE        IEA01 = number of groups, IEA02 = ISA13
    GROUP          ST        TRANSACTION
    GROUP          GE        INTERCHANGE    GE01 = number of transactions, GE02 = GS06
    TRANSACTION    SE        GROUP          SE01 = segments from ST to SE, SE02 = ST02
    TRANSACTION    (other)   TRANSACTION    not ISA/IEA/GS/GE/ST (a missing trailer)

- `read_each` is what the transaction readers use on a file: every transaction set of one kind, each read on its
  own (`TransactionRead`: a value, or the error that rejected it alone), the envelopes checked leniently (a trailer
  that does not match is a warning on what it closes; see `_EnvelopeBuilder`), the cyclic GC paused while the
  file's segments are alive.
- Errors are `X12ParseError`: the input is at fault. Messages name the segment position (1-based, over the whole
  input), the tag and element numbers, and at most control numbers and counts. Element values are never quoted,
  because in a 270/271/837 they are names, member ids and birth dates.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, TypeVar

UNREADABLE = "?"  # the tag of a damaged segment, read leniently
_TAG = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")
_BOM = "\ufeff"
_LAYOUT = " \t\r\n\ufeff"  # what may surround a segment without being part of it
_ISA_MAX = 200  # an ISA is 106 characters; unpadded or odd ones are shorter, so the separators are searched this far
_ISA_ELEMENTS = 16
_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
# Tags of the HIPAA 5010 sets; only these are quoted in messages, so a name that happens to look like a tag
# ("DOE*...") is never echoed.
_KNOWN_TAGS = frozenset(
    "AAA ACT ADX AK1 AK2 AK9 AMT BGN BHT BPR CAS CL1 CLM CLP CN1 COB CR1 CR2 CR3 CRC CTP CTX CUR DMG DSB DTM DTP "
    "EB EC ENT EQ FRM GE GS HCP HD HI HL HLH HSD ICM IDC IEA III IK3 IK4 IK5 INS ISA IT1 K3 LE LIN LQ LS LUI LX MEA "
    "MIA MOA MPI MSG N1 N2 N3 N4 NM1 NTE OI PAT PER PLA PLB PRV PS1 PWK QTY RDM REF RMR SAC SBR SE SLN ST STC SV1 "
    "SV2 SV5 SVC SVD TA1 TRN TS2 TS3".split()
)


class X12ParseError(ValueError):
    """The input is not well-formed X12. `position` is the 1-based segment index in the input, `tag` its tag."""

    def __init__(self, message: str, *, position: int, tag: str | None = None) -> None:
        super().__init__(message)
        self.position = position
        self.tag = tag


@dataclass(frozen=True)
class Delimiters:
    """The separators one interchange uses, learned from its ISA."""

    element: str = "*"
    component: str = ":"
    segment: str = "~"
    repetition: str | None = "^"


_DEFAULT_DELIMITERS = Delimiters()


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its tag, its elements (element 1 first; the tag is not an element) and its input position."""

    tag: str
    elements: tuple[str, ...]
    position: int
    delimiters: Delimiters = field(default=_DEFAULT_DELIMITERS, compare=False, repr=False)

    def get(self, n: int) -> str:
        """Element `n` in X12 numbering (`NM1*IL*1` → get(1) == "IL"); "" when the segment is shorter."""
        if 0 < n <= len(self.elements):
            return self.elements[n - 1]
        if n < 1:
            raise IndexError("X12 element numbers start at 1")
        return ""

    def components(self, n: int) -> tuple[str, ...]:
        """Element `n` split on the component separator (`HC:99213:25` → ("HC", "99213", "25"))."""
        value = self.get(n)
        return tuple(value.split(self.delimiters.component)) if value else ()

    def component(self, n: int, k: int) -> str:
        """Component `k` (1-based) of element `n`; "" when absent."""
        if k < 1:
            raise IndexError("X12 component numbers start at 1")
        parts = self.components(n)
        return parts[k - 1] if k <= len(parts) else ""

    def repeats(self, n: int) -> tuple[str, ...]:
        """Element `n` split on the repetition separator (ISA11); a single value when the interchange has none."""
        value = self.get(n)
        if not value:
            return ()
        sep = self.delimiters.repetition
        return tuple(value.split(sep)) if sep else (value,)

    @property
    def label(self) -> str:
        """How messages name this segment: "segment 14 (SE)"."""
        return f"segment {self.position} ({_shown(self.tag)})"


@dataclass(frozen=True)
class Transaction:
    """One transaction set; `segments` are the ones between ST and SE. Read leniently (`read_each`), `problems`
    says what its trailer got wrong — a segment count or control number that does not match, or no SE at all
    (`se` is then None and the set is cut short)."""

    st: Segment
    segments: list[Segment]
    se: Segment | None
    problems: tuple[str, ...] = ()
    defect: str | None = None  # read leniently: its first damaged segment; the set cannot be trusted

    @property
    def set_id(self) -> str:
        """ST01: "270", "271", "835", "837"."""
        return self.st.get(1)

    @property
    def version(self) -> str:
        """ST03, the implementation guide (optional in some sets; see FunctionalGroup.version)."""
        return self.st.get(3)

    def text(self) -> str:
        """The transaction set written back, ST to SE, with its interchange's delimiters, a segment a line (what a
        payer sent for this one payment or answer, without the rest of its batch)."""
        d = self.st.delimiters
        segments = (self.st, *self.segments, *((self.se,) if self.se is not None else ()))
        return "".join(d.element.join((s.tag, *s.elements)) + d.segment + "\n" for s in segments)


@dataclass(frozen=True)
class FunctionalGroup:
    gs: Segment
    transactions: list[Transaction]
    ge: Segment | None
    problems: tuple[str, ...] = ()  # read leniently: what GE got wrong, or that there is none

    @property
    def version(self) -> str:
        """GS08, the implementation guide the group follows, e.g. 005010X279A1."""
        return self.gs.get(8)


@dataclass(frozen=True)
class Interchange:
    isa: Segment
    groups: list[FunctionalGroup]
    delimiters: Delimiters
    iea: Segment | None = field(default=None, compare=False)
    problems: tuple[str, ...] = ()  # read leniently: what IEA got wrong, or that there is none

    @property
    def sender_id(self) -> str:
        return self.isa.get(6).strip()

    @property
    def receiver_id(self) -> str:
        return self.isa.get(8).strip()

    @property
    def control_number(self) -> str:
        return self.isa.get(13)

    def transactions(self, set_id: str | None = None) -> Iterator[tuple[FunctionalGroup, Transaction]]:
        """Every transaction with its group, optionally only those whose ST01 is `set_id`."""
        for group in self.groups:
            for transaction in group.transactions:
                if set_id is None or transaction.set_id == set_id:
                    yield group, transaction


def _shown(tag: str) -> str:
    return tag if tag in _KNOWN_TAGS else "unknown tag"


def _safe_tag(raw: str) -> str | None:
    """The known tag at the start of `raw`, if any; never echo anything that might be data."""
    match = re.match(r"[A-Z][A-Z0-9]{1,2}", raw)
    if match is None or match.group() not in _KNOWN_TAGS:
        return None
    rest = raw[match.end() :]
    return match.group() if not rest or not rest[0].isalnum() else None


class SegmentStream:
    """Incremental tokenizer: feed text with `receive_data`, then call `next_segment` until it returns None.

    `None` means "need more data" until `end_of_input()` has been called; after that it means the input is used up.
    Raises X12ParseError for text that cannot be a segment — or, with `lenient`, hands back a segment tagged
    UNREADABLE for text inside an interchange whose tag is no tag (a damaged line), so the envelope reader can
    reject just the transaction set holding it.
    """

    def __init__(self, *, lenient: bool = False) -> None:
        self._lenient = lenient
        self._buffer = ""
        self._cursor = 0
        self._ended = False
        self._position = 0
        self._delimiters: Delimiters | None = None
        self._seen_isa = False

    @property
    def delimiters(self) -> Delimiters | None:
        """The delimiters of the interchange being read; None between interchanges."""
        return self._delimiters

    def receive_data(self, data: str) -> None:
        if self._ended:
            raise RuntimeError("receive_data after end_of_input")
        if self._cursor > 65536:
            self._buffer = self._buffer[self._cursor :]
            self._cursor = 0
        self._buffer += data

    def end_of_input(self) -> None:
        self._ended = True

    def __iter__(self) -> Iterator[Segment]:
        while (segment := self.next_segment()) is not None:
            yield segment

    def next_segment(self) -> Segment | None:
        if self._delimiters is None:
            return self._next_isa()
        return self._next_in_interchange(self._delimiters)

    def _error(self, message: str, tag: str | None) -> X12ParseError:
        where = f"segment {self._position}" + (f" ({tag})" if tag else "")
        return X12ParseError(f"{where}: {message}", position=self._position, tag=tag)

    def _next_isa(self) -> Segment | None:
        # Offsets into the buffer, never slices of its rest: a file of many interchanges is read in linear time.
        buf = self._buffer
        size = len(buf)
        start = self._cursor
        while start < size and (buf[start].isspace() or buf[start] == _BOM):
            start += 1
        self._cursor = start
        if start >= size:
            return None
        if not buf.startswith("ISA", start):
            if "ISA".startswith(buf[start:]) and not self._ended:
                return None  # maybe the start of "ISA"
            self._position += 1
            tag = _safe_tag(buf[start : start + 4])
            if self._seen_isa:
                raise self._error("data after IEA that does not start a new interchange (ISA)", tag)
            raise self._error("the input must start with an ISA segment", tag)
        if size - start < 4:
            return self._isa_cut_short("ISA is cut short")
        sep = buf[start + 3]
        # Count the 16 element separators rather than trusting the columns; ISA16 and the terminator follow.
        index = start + 3
        for _ in range(_ISA_ELEMENTS - 1):
            index = buf.find(sep, index + 1, start + _ISA_MAX)
            if index < 0:
                break
        terminator_at = _terminator_index(buf, index + 2, ended=self._ended) if index >= 0 else -1
        if index < 0 or terminator_at < 0:
            return self._isa_cut_short("ISA is cut short (it needs 16 elements and a segment terminator)")
        component, terminator = buf[index + 1], buf[terminator_at]
        self._position += 1
        if sep.isalnum() or sep in " \r\n\t" or len({sep, component, terminator}) != 3:
            raise self._error("the element separator, ISA16 and the segment terminator must be distinct", "ISA")
        if component.isalnum() or terminator.isalnum() or terminator == " ":
            raise self._error("ISA16 and the segment terminator must not be letters, digits or spaces", "ISA")
        elements = tuple(buf[start + 4 : index].split(sep)) + (component,)
        repetition = elements[10] if len(elements[10]) == 1 and not elements[10].isalnum() else None
        if repetition in (sep, component, terminator):
            repetition = None
        self._delimiters = Delimiters(element=sep, component=component, segment=terminator, repetition=repetition)
        self._seen_isa = True
        self._cursor = terminator_at + 1
        return Segment("ISA", elements, self._position, self._delimiters)

    def _isa_cut_short(self, message: str) -> None:
        """None ("need more data") while input may still come; the error once it has ended."""
        if self._ended:
            self._position += 1
            raise self._error(message, "ISA")
        return None

    def _next_in_interchange(self, delimiters: Delimiters) -> Segment | None:
        buf = self._buffer
        terminator = delimiters.segment
        while True:
            start = self._cursor
            end = buf.find(terminator, start)
            if end >= 0:
                raw = buf[start:end]
                self._cursor = end + 1
            elif self._ended:
                raw = buf[start:]  # tolerate a last segment without a terminator
                self._cursor = len(buf)
            else:
                return None
            # Whitespace around a segment is layout, not data: line breaks after (or before) a terminator, a BOM,
            # indentation, trailing spaces before a CR. A value never keeps it ("444115555 " is "444115555").
            raw = raw.strip(_LAYOUT)
            if raw:
                break  # else an empty segment: a doubled terminator or a blank line
            if self._cursor >= len(buf):
                return None
        self._position += 1
        parts = raw.split(delimiters.element)
        tag = parts[0]
        if not _is_tag(tag):
            if self._lenient:
                return Segment(UNREADABLE, (), self._position, delimiters)
            raise self._error("not a segment (the tag must be 2-3 capital letters or digits)", _safe_tag(tag))
        if tag == "ISA":
            # An ISA where a segment should be: the previous interchange has no IEA. Read this ISA with its own
            # delimiters and let the envelope check report the missing trailers.
            self._delimiters = None
            self._position -= 1
            self._cursor = buf.index("ISA", start)
            return self._next_isa()
        segment = Segment(tag, tuple(parts[1:]), self._position, delimiters)
        if tag == "IEA":
            self._delimiters = None
        return segment


@lru_cache(maxsize=1024)
def _is_tag(text: str) -> bool:
    """Cached: a file uses a few dozen tags, and the check runs once a segment."""
    return _TAG.match(text) is not None


def _terminator_index(buf: str, at: int, *, ended: bool) -> int:
    """Where the ISA's segment terminator is: the character after ISA16 — unless that is layout (spaces, tabs, line
    breaks) followed by a delimiter-like character ("ISA…*:\r\n~GS…", "ISA…*:  ~"), which is then the terminator;
    layout followed by a segment tag means the line break is the terminator. -1 when the buffer ends before that
    can be told (and more input may come)."""
    size = len(buf)
    if at >= size:
        return -1
    if buf[at] not in _LAYOUT:
        return at
    after = at
    while after < size and buf[after] in _LAYOUT:
        after += 1
    if after >= size and not ended:
        return -1
    if after < size and not buf[after].isalnum():
        return after
    breaks = [i for i in (buf.find("\r", at, after), buf.find("\n", at, after)) if i >= 0]
    return min(breaks) if breaks else at


def iter_segments(text: str, *, lenient: bool = False) -> Iterator[Segment]:
    """Every segment of `text` in order, envelopes included, without envelope checks (see SegmentStream)."""
    stream = SegmentStream(lenient=lenient)
    stream.receive_data(text)
    stream.end_of_input()
    yield from stream


def _count(segment: Segment, n: int) -> int:
    value = segment.get(n).strip()
    if not value.isdigit():
        raise X12ParseError(
            f"{segment.label}: {segment.tag}{n:02d} must be a count", position=segment.position, tag=segment.tag
        )
    return int(value)


def _fail(segment: Segment, message: str) -> X12ParseError:
    tag = segment.tag if segment.tag in _KNOWN_TAGS else None
    return X12ParseError(f"{segment.label}: {message}", position=segment.position, tag=tag)


class _EnvelopeBuilder:
    """The state table of the module docstring, one method per state.

    Strict (`parse`), a trailer that does not match its header (a count, a control number) or is missing fails the
    whole input. Lenient (`read_each`), each such problem is kept with the envelope it concerns and reading goes on:
    published and real files often carry a wrong SE01 or GE01 after hand edits or a lost trailer at the end of a
    file, and the transaction sets themselves are whole; what a reader does with a flagged one is its choice (the
    835 posting refuses a transaction set whose own trailer is wrong). What is not a trailer problem (a segment
    outside any envelope, an ST inside a transaction set) fails the input either way.
    """

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        self.interchanges: list[Interchange] = []
        self._isa: Segment | None = None
        self._isa_problems: list[str] = []
        self._groups: list[FunctionalGroup] = []
        self._gs: Segment | None = None
        self._gs_problems: list[str] = []
        self._transactions: list[Transaction] = []
        self._st: Segment | None = None
        self._body: list[Segment] = []
        self._last: Segment | None = None
        self._defect: str | None = None  # the open transaction set's first damaged segment

    def feed(self, segment: Segment) -> None:
        self._last = segment
        if self._st is not None:
            self._in_transaction(segment, self._st)
        elif self._gs is not None:
            self._in_group(segment, self._gs)
        elif self._isa is not None:
            self._in_interchange(segment, self._isa)
        else:
            self._outside(segment)

    def _problem(self, segment: Segment, message: str, into: list[str]) -> None:
        if self.strict:
            raise _fail(segment, message)
        into.append(f"{segment.label}: {message}")

    def _outside(self, segment: Segment) -> None:
        if segment.tag == UNREADABLE:
            raise _fail(segment, "not a segment (the tag must be 2-3 capital letters or digits)")
        if segment.tag != "ISA":
            raise _fail(segment, "expected ISA")
        self._isa = segment
        self._isa_problems = []
        self._groups = []

    def _in_interchange(self, segment: Segment, isa: Segment) -> None:
        if segment.tag == "GS":
            self._gs = segment
            self._gs_problems = []
            self._transactions = []
        elif segment.tag == "IEA":
            groups = _count(segment, 1)
            if groups != len(self._groups):
                message = f"IEA01 says {groups} functional groups, interchange has {len(self._groups)}"
                self._problem(segment, message, self._isa_problems)
            if segment.get(2).strip() != isa.get(13).strip():
                message = f"IEA02 {segment.get(2)!r} does not match ISA13 {isa.get(13)!r} of {isa.label}"
                self._problem(segment, message, self._isa_problems)
            self._close_interchange(segment)
        elif segment.tag == "ISA":
            self._problem(
                segment, f"new interchange before the IEA of the one opened at {isa.label}", self._isa_problems
            )
            self._close_interchange(None)
            self._outside(segment)
        else:
            raise _fail(segment, "expected GS or IEA")

    def _close_interchange(self, iea: Segment | None) -> None:
        isa = self._isa
        assert isa is not None
        self.interchanges.append(Interchange(isa, self._groups, isa.delimiters, iea, tuple(self._isa_problems)))
        self._isa = None

    def _in_group(self, segment: Segment, gs: Segment) -> None:
        if segment.tag == "ST":
            self._st = segment
            self._body = []
            self._defect = None
        elif segment.tag == "GE":
            count = _count(segment, 1)
            if count != len(self._transactions):
                message = f"GE01 says {count} transaction sets, group has {len(self._transactions)}"
                self._problem(segment, message, self._gs_problems)
            if segment.get(2).strip() != gs.get(6).strip():
                message = f"GE02 {segment.get(2)!r} does not match GS06 {gs.get(6)!r} of {gs.label}"
                self._problem(segment, message, self._gs_problems)
            self._close_group(segment)
        elif segment.tag in ("IEA", "ISA"):
            self._problem(segment, f"functional group opened at {gs.label} has no GE", self._gs_problems)
            self._close_group(None)
            self.feed(segment)
        else:
            raise _fail(segment, "expected ST or GE")

    def _close_group(self, ge: Segment | None) -> None:
        gs = self._gs
        assert gs is not None
        self._groups.append(FunctionalGroup(gs, self._transactions, ge, tuple(self._gs_problems)))
        self._gs = None

    def _in_transaction(self, segment: Segment, st: Segment) -> None:
        if segment.tag == "SE":
            problems: list[str] = []
            count = _count(segment, 1)
            actual = len(self._body) + 2
            if count != actual:
                self._problem(segment, f"SE01 says {count} segments, transaction has {actual}", problems)
            if segment.get(2).strip() != st.get(2).strip():
                message = f"SE02 {segment.get(2)!r} does not match ST02 {st.get(2)!r} of {st.label}"
                self._problem(segment, message, problems)
            self._transactions.append(Transaction(st, self._body, segment, tuple(problems), self._defect))
            self._st = None
        elif segment.tag == UNREADABLE:
            self._defect = self._defect or f"segment {segment.position}: not a segment (a damaged line)"
        elif segment.tag in _ENVELOPE_TAGS:
            cut: list[str] = []
            self._problem(segment, f"transaction set opened at {st.label} has no SE", cut)
            self._transactions.append(Transaction(st, self._body, None, tuple(cut)))
            self._st = None
            self.feed(segment)
        else:
            self._body.append(segment)

    def finish(self) -> list[Interchange]:
        after = (self._last.position if self._last else 0) + 1
        for open_segment, trailer in ((self._st, "SE"), (self._gs, "GE"), (self._isa, "IEA")):
            if open_segment is None:
                continue
            message = f"segment {after}: input ends before the {trailer} that closes {open_segment.label}"
            if self.strict:
                raise X12ParseError(message, position=after, tag=None)
            if trailer == "SE":
                self._transactions.append(Transaction(open_segment, self._body, None, (message,)))
                self._st = None
            elif trailer == "GE":
                self._gs_problems.append(message)
                self._close_group(None)
            else:
                self._isa_problems.append(message)
                self._close_interchange(None)
        if not self.interchanges:
            raise X12ParseError("segment 1: no ISA segment in the input", position=1, tag=None)
        return self.interchanges


T = TypeVar("T")


@dataclass(frozen=True)
class TransactionRead(Generic[T]):
    """One transaction set of a file as a transaction reader saw it: its value, or the error that rejected it —
    and only it: the other transactions of the batch are still read."""

    transaction: Transaction
    version: str  # ST03, else GS08
    value: T | None = None
    error: X12ParseError | None = None
    # What its envelopes got wrong without making it unreadable: its own SE (transaction.problems), its GE or IEA.
    warnings: tuple[str, ...] = ()

    @property
    def position(self) -> int:
        """The ST's segment position in the file (1-based, envelopes counted)."""
        return self.transaction.st.position

    @property
    def control_number(self) -> str:
        return self.transaction.st.get(2)


def read_each(
    text: str, set_id: str, read_one: Callable[[Transaction], T], *, own_trailer_must_match: bool = False
) -> list[TransactionRead[T]]:
    """Every `set_id` transaction set of every group of every interchange in `text`, each read by `read_one`.

    A transaction whose content is at fault (a bad date, a missing segment, a version we do not read, no SE) is
    reported with its error and position. A trailer that does not match (SE01, SE02, GE, IEA) is a warning on the
    transactions it concerns — or, with `own_trailer_must_match`, its own SE's is its error (an 835 moves money: a
    segment count that does not match may be a lost adjustment). Envelopes in the wrong order, or no such
    transaction at all, fail the whole file.

    Raises:
        X12ParseError: the envelopes are not well formed, or the file holds no `set_id` transaction set.
    """
    with _cyclic_gc_paused():
        return _read_each(text, set_id, read_one, own_trailer_must_match=own_trailer_must_match)


def _read_each(
    text: str, set_id: str, read_one: Callable[[Transaction], T], *, own_trailer_must_match: bool
) -> list[TransactionRead[T]]:
    reads: list[TransactionRead[T]] = []
    for interchange in parse(text, strict=False):
        for group, transaction in interchange.transactions(set_id):
            version = transaction.version or group.version
            around = (*group.problems, *interchange.problems)
            try:
                if transaction.se is None:
                    raise _fail(transaction.st, f"transaction set is cut short ({transaction.problems[0]})")
                if transaction.defect is not None:
                    raise _fail(transaction.st, f"transaction set is damaged ({transaction.defect})")
                if own_trailer_must_match and transaction.problems:
                    raise _fail(transaction.st, f"its trailer does not match ({transaction.problems[0]})")
                if not _supported(version):
                    raise _fail(
                        transaction.st,
                        f"version {_shown_version(version)} is not supported (5010 and 4010 are read)",
                    )
                value = read_one(transaction)
            except X12ParseError as exc:
                reads.append(TransactionRead(transaction, version, error=exc, warnings=around))
            else:
                reads.append(TransactionRead(transaction, version, value, warnings=(*transaction.problems, *around)))
    if not reads:
        raise X12ParseError(f"segment 1: the input holds no {set_id} transaction set", position=1)
    return reads


def _supported(version: str) -> bool:
    """5010 or 4010 by the guide's id (005010X279A1), or as some senders shorten it ("5010"); none given is read as
    what the transaction's layout is (a GS without GS08 is seen in published 271s)."""
    return not version or version.lstrip("0").startswith(("5010", "4010"))


def _shown_version(version: str) -> str:
    """A version is a code, not data, but only the expected shape is echoed."""
    return repr(version) if re.fullmatch(r"[0-9A-Z]{1,12}", version) else "(unreadable)"


def parse(text: str, *, strict: bool = True) -> list[Interchange]:
    """Parse one or more interchanges, checking every envelope (strict), or keeping trailer problems with the
    envelopes they concern (strict=False: see _EnvelopeBuilder).

    Raises:
        X12ParseError: the text is not well-formed X12; `.position` names the segment at fault.
    """
    builder = _EnvelopeBuilder(strict=strict)
    with _cyclic_gc_paused():
        for segment in iter_segments(text, lenient=not strict):
            builder.feed(segment)
    return builder.finish()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A large file is hundreds of thousands of Segment objects kept alive at once, and reading it makes as many
    more: the cyclic collector, finding its generations growing, walks them over and over (a 17 MB 835 read in
    8.3 s with it, 4.0 s without). They form no reference cycles, so pausing it loses nothing: reference counting
    frees them as ever. Process-wide, hence restored at once, and only if it was on (nested pauses keep it off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
