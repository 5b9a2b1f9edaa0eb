"""Frozen records passed between the stages: Document -> Mention -> Fact."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["Document", "Mention", "QuantityValue", "Fact", "Sentence", "ENTITY_TYPES", "ORG_TYPES", "AGENT_TYPES"]

#: Entity types the recognisers emit, in priority order for overlap resolution ties.
ENTITY_TYPES = (
    "STOCK",
    "COMPANY",
    "ORG",
    "GOV",
    "PERSON",
    "PRODUCT",
    "PLACE",
    "POSITION",
    "CONCEPT",
    "FACILITY",
    "DATE",
    "MONEY",
    "PERCENT",
    "QUANTITY",
)
#: Organisation types (they share one key space in entity resolution).
ORG_TYPES = ("COMPANY", "ORG", "GOV")
#: Types that can act: release things, speak, own things.
AGENT_TYPES = ORG_TYPES + ("PERSON",)


@dataclass(frozen=True)
class Document:
    """One input text. ``id`` is the record id or the file name without extension."""

    id: str
    text: str
    title: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd when known
    source: str | None = None  # where it was read from
    hints: tuple[tuple[str, str | None], ...] = ()  # (surface, type) the user asked to recognise


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mention:
    """A span of the original text recognised as an entity or value.

    ``start``/``end`` are indices into the ORIGINAL text (end-exclusive);
    ``norm`` is the Simplified, width-folded analysis form of ``text``.
    """

    start: int
    end: int
    text: str
    type: str
    norm: str
    source: str  # which recogniser layer found it (lexicon, pattern, hint, crf)
    canonical: str | None = None  # canonical name from a lexicon, if any
    code: str | None = None  # stock code attached to a company mention


@dataclass(frozen=True)
class QuantityValue:
    """A normalised quantity: 700多個數據中心 -> 700, 個, of 数据中心, approximate, at least."""

    value: Decimal
    unit: str
    text: str
    of: Mention | None = None
    approximate: bool = False
    at_least: bool = False
    more_than: bool = False


@dataclass(frozen=True)
class Fact:
    """subject -predicate-> object, with the evidence that says so.

    ``obj`` is a Mention (an entity), a QuantityValue, or a plain string literal.
    """

    subject: Mention
    predicate: str  # local name under the kg: namespace
    obj: Mention | QuantityValue | str
    sentence: Sentence
    extractor: str  # registered name with version, e.g. "release.v1"
    confidence: float
    claim: str | None = None  # for attribution facts: the claim text
    modality: str | None = None  # asserted | hedged | negated
    extra: tuple[tuple[str, str], ...] = field(default=())
