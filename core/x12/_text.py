"""Free text in an X12 file we write: names and addresses in the X12 character set, and within their element's length.

Why: a receiver rejects the whole file for one character outside the character set it agreed to, or for one
element over the guide's length, and names like MÜLLER-ÑÚÑEZ are ordinary. They are transliterated (MULLER-NUNEZ)
rather than refused; what is still too long is refused with `UnwritableText` naming the element, never truncated
(a shortened name is another person's). Identifiers (member ids, NPIs) do not come here: changing one would make
it wrong, so `SegmentWriter.add` refuses a delimiter in them instead.
"""

from __future__ import annotations

import unicodedata

# The X12 basic character set (X12.6 / 005010 appendix B) less our delimiters `*` and `:`: what every receiver takes
# in text, whichever character set it agreed to. Lowercase is extended-set, so text is written in capitals.
_TEXT_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"&'()+,-./;?=")
# Letters NFKD does not split into a base letter and combining marks, and punctuation with an ASCII twin.
_LETTERS = str.maketrans(
    {
        **dict.fromkeys("ßẞ", "SS"),
        **dict.fromkeys("Ææ", "AE"),
        **dict.fromkeys("Œœ", "OE"),
        **dict.fromkeys("Øø", "O"),
        **dict.fromkeys("ÐðĐđ", "D"),
        **dict.fromkeys("Þþ", "TH"),
        **dict.fromkeys("Łł", "L"),
        **dict.fromkeys("Ħħ", "H"),
        **dict.fromkeys("Ŋŋ", "N"),
        "ı": "I",
        **dict.fromkeys("‘’‚′ʼ`´", "'"),
        **dict.fromkeys("“”„″", '"'),
        **dict.fromkeys("‐‑‒–—―", "-"),
    }
)


class UnwritableText(ValueError):
    """Free text that cannot be written in its element: longer than the guide allows, or nothing left of it in the
    X12 character set. `element` names the element by loop and id ("2010BA NM103"), `what` says whose field it is;
    neither quotes the value (a name is PHI)."""

    def __init__(self, element: str, what: str, problem: str) -> None:
        super().__init__(f"{element} ({what}) {problem}")
        self.element = element
        self.what = what


def x12_text(value: str) -> str:
    """`value` in capitals of the X12 basic character set: accents stripped (NFKD, combining marks dropped), ß → SS,
    Æ → AE, Ø → O and the like, curly quotes and dashes made ASCII; any other character (a delimiter, a control
    character, a letter with no Latin form) becomes a space; runs of spaces become one, none at either end."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_LETTERS))
    upper = "".join(c for c in decomposed if not unicodedata.combining(c)).upper().translate(_LETTERS)
    return " ".join("".join(c if c in _TEXT_OK else " " for c in upper).split())


def text_element(value: str, element: str, what: str, max_length: int, *, required: bool = True) -> str:
    """`value` as `x12_text` writes it, or UnwritableText when it is longer than `max_length` (never truncated: a
    shortened name is another person's), or empty although required or although the value had text."""
    text = x12_text(value)
    if not text and (required or value.strip()):
        raise UnwritableText(element, what, "is empty or has no character X12 can carry")
    if len(text) > max_length:
        raise UnwritableText(element, what, f"is longer than {max_length} characters")
    return text


def address_lines(value: str, loop: str, what: str, max_length: int = 55) -> tuple[str, ...]:
    """An address line as N301, or as N301 and N302 split at a space when it is longer than one element holds (the
    guide's second address line); UnwritableText when it does not fit in two."""
    text = text_element(value, f"{loop} N301", what, 2 * max_length + 1)
    if len(text) <= max_length:
        return (text,)
    cut = text.rfind(" ", 0, max_length + 1)
    if cut > 0 and len(text) - cut - 1 <= max_length:
        return text[:cut], text[cut + 1 :]
    raise UnwritableText(f"{loop} N301", what, f"does not fit in N301 and N302 ({max_length} characters each)")
