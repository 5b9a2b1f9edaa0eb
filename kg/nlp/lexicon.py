"""Versioned TSV lexicons: entity names and job titles, extendable by users."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg.errors import ConfigError
from kg.model import ENTITY_TYPES
from kg.text import analysis_view

__all__ = ["Lexicon", "LexEntry", "load_lexicon", "resource_dir"]

LEXICON_VERSION = "1"


def resource_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "resources" / "lexicon"


@dataclass(frozen=True)
class LexEntry:
    surface: str  # analysis form (Simplified, width-folded)
    type: str
    canonical: str  # canonical name as written in the lexicon


@dataclass
class Lexicon:
    entries: dict[str, LexEntry] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # title -> predicate

    def words(self) -> list[str]:
        """Every surface the tokenizer should keep whole, sorted for determinism."""
        return sorted(set(self.entries) | set(self.titles))


def _rows(path: Path, min_cols: int):
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read lexicon {path}: {err}", fix="give a UTF-8 TSV file") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) < min_cols or not cols[0]:
            raise ConfigError(
                f"lexicon line has {len(cols)} column(s), expected at least {min_cols}",
                where=f"{path}:{number}",
                fix="use surface<TAB>TYPE[<TAB>canonical]",
            )
        yield number, cols


@lru_cache(maxsize=8)
def load_lexicon(extra: tuple[str, ...] = ()) -> Lexicon:
    """The shipped lexicon plus user lexicons (later files override earlier entries)."""
    lex = Lexicon()
    for path in [resource_dir() / "entities.tsv", *map(Path, extra)]:
        if not path.exists():
            raise ConfigError(f"lexicon not found: {path}", fix="check the --lexicon path")
        for number, cols in _rows(path, 2):
            etype = cols[1].upper()
            if etype not in ENTITY_TYPES:
                raise ConfigError(
                    f"unknown entity type {cols[1]!r}",
                    where=f"{path}:{number}",
                    fix="use one of " + ", ".join(ENTITY_TYPES),
                )
            surface = analysis_view(cols[0])
            # The canonical name is kept as written: t2s would also fold valid Simplified
            # characters (昇腾 -> 升腾); surfaces are matched on the analysis view.
            canonical = cols[2] if len(cols) > 2 and cols[2] else cols[0]
            lex.entries[surface] = LexEntry(surface, etype, canonical)
    for _, cols in _rows(resource_dir() / "titles.tsv", 2):
        lex.titles[analysis_view(cols[0])] = cols[1]
    return lex
