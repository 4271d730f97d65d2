"""Finding identifiers: cheap scans find where something could start, anchored patterns and validators decide.

Theory of operation (one call of `detect`); each pass lives in its own module and appends `(score, start, end,
type)` candidates to one list:
1. Cue pass (`_cues`), over `low` (the text lower-cased once; same offsets). Stage 1 is one regex of all cue words
   built as a trie, so every branch starts with a literal and sre skips positions that cannot start a cue. Stage 2
   reads, at each cue, what that cue announces (`_CUE_HANDLERS`, one reader per kind): the value after "MRN",
   "member ID", "acct", "DEA", "serial", "plate", "VIN", "SSN", "ID", judged by its family's validator
   (`_VALUE_RULES`); a date after a month name (`_dates`); an age after "age"; the place after "lives in"/"from";
   the name after "daughter"/"Name:"; the name before "(DOB" / ", MRN"; PO boxes and URLs.
2. Number pass (`_numbers`), over the text. Stage 1 is a character class with a look-behind (where a number token
   starts, skipping short numbers that end at once: "92,", "4.5%"); stage 2 matches one alternation of numeric
   shapes anchored there, and the group that matched picks its handler (`_HANDLERS`): SSN, phone (`_phones`),
   IPv4, dates (`_dates`), street addresses, ages with "yo", UDI, MBI, VIN, card and bare digit runs. Each is
   validated (SSN rules, NANP and phonenumbers metadata, calendar, Luhn, octets, VIN check digit) and, where the
   shape alone proves nothing (a 5-digit ZIP, a local phone number, a pager), gated by the words just before it.
3. Token pass (`_names`): capitalised words in the name lists or after cues; cities before a state.
4. Gated passes: e-mail only if "@" occurs, bare domains from their TLD, IPv6 from ":hex:"; then places (`_places`).
5. Resolution: highest score first, then longest; a candidate overlapping an accepted one (or an NPI) is dropped.

Why two stages: a big alternation whose branches start with look-behinds is tried at every character (under
1 M chars/s); a stage-1 class or literal lets the regex engine skip ahead in C (25-50 M chars/s), and the anchored
stage-2 match runs only where a number or a cue word actually starts.

Clinical look-alikes fail by construction or by context, never by luck: 142/88 has no valid month; a month/day is
a date without any cue ("S/P MI 10/16") unless it is a fraction or an equal pair (1/2 NS, 5/5), a pain score
(6/10 near "pain"), or sits in a ventilator, pressure or fluid context (CPAP 10/5, FiO2 40% & 5/8, D5 1/2); "A/C
600x12" is a ventilator setting, not an account; 10:30 is never matched; E11.9 / L4-L5 / SHIFT.PR have letters
where numbers are required; 99213 is not a ZIP without a state or "zip" before it; ALL-CAPS abbreviations (HTN,
COPD, PRN) are not in the name lists or are marked ambiguous.
"""

from __future__ import annotations

import re

from core.phi import _cues, _names_anycase, _numbers, _places
from core.phi import _validate as v
from core.phi._names import _scan_tokens
from core.phi._types import Finding, tag

MIN_SCORE = 0.5

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_TLD = re.compile(r"\.(?:com|org|net|edu|gov|io|us|info|biz|health)(?![a-z0-9-])")
_HOST_BEFORE = re.compile(r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*$")
_PATH_AFTER = re.compile(r"(?:[:/?#][^\s<>\"'()]*)?")
_V6_HINT = re.compile(r":[0-9a-f]{0,4}:")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%\w+)?(?![\w:])")


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # A few characters lower-case to two code points (U+0130); keep offsets aligned by leaving those as they are.
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def detect(text: str) -> list[Finding]:
    """Every identifier found in `text`, sorted by start, non-overlapping (see the module docstring)."""
    if not text:
        return []
    low = _lower(text)
    cands: list[tuple[float, int, int, str]] = []
    blocked: list[tuple[int, int]] = []
    cue_names: set[str] = set()
    _cues.scan(text, low, cands, blocked, cue_names)
    street_ends = _numbers.scan(text, low, cands)
    if "@" in text:
        for m in _EMAIL.finditer(text):
            cands.append((0.95, m.start(), m.end(), "email", "shape:email"))
    for m in _TLD.finditer(low):  # bare domains: find the TLD, then read the host name back from it
        host = _HOST_BEFORE.search(low, max(0, m.start() - 64), m.start())
        if host and (host.start() == 0 or low[host.start() - 1] not in "@/.-_"):
            path = _PATH_AFTER.match(low, m.end())
            cands.append((0.8, host.start(), _cues.trim_url(low, host.start(), path.end()), "url", "shape:domain"))
    skip = 0
    for m in _V6_HINT.finditer(low):
        if m.start() < skip:
            continue
        ip = _IPV6.search(low, max(0, m.start() - 40), m.end() + 40)
        if ip:
            skip = ip.end()
            if v.ipv6_ok(ip.group()):
                cands.append((0.9, ip.start(), ip.end(), "ip_address", "shape:ipv6"))
    since = len(cands)
    _names_anycase.scan(text, low, cands)
    tag(cands, since, "names:context")
    since = len(cands)
    _scan_tokens(text, low, cands, street_ends, cue_names)
    tag(cands, since, "names:lists")
    _places.scan(text, low, cands)
    return _resolve(cands, blocked)


def _resolve(cands: list[tuple[float, int, int, str]], blocked: list[tuple[int, int]]) -> list[Finding]:
    """Keep the best candidates: highest score, then longest, then leftmost; drop any that overlaps a kept one."""
    if not cands:
        return []
    size = max(c[2] for c in cands)
    taken = bytearray(size)  # one byte per character: linear in the text, whatever the number of candidates
    for start, end in blocked:
        taken[start:end] = b"\x01" * (min(end, size) - start) if start < size else b""
    kept: list[Finding] = []
    for cand in sorted(cands, key=lambda c: (-c[0], c[1] - c[2], c[1])):
        score, start, end, kind = cand[:4]
        if score < MIN_SCORE or end <= start or 1 in taken[start:end]:
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append(Finding(kind, start, end, score, cand[4] if len(cand) > 4 else ""))
    kept.sort(key=lambda f: f.start)
    return kept
