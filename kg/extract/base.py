"""The extractor registry and the helpers extractors share.

An extractor is a generator ``fn(analysis) -> Iterator[Fact]`` registered under a
versioned name (``release.v1``); a behaviour change gets a new name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import lru_cache

from kg.errors import ConfigError
from kg.model import AGENT_TYPES, Fact, Mention, Sentence
from kg.nlp.coref import names_nothing
from kg.nlp.pipeline import Analysis
from kg.resolve import type_group
from kg.resources import resource_path

__all__ = ["AGENT_TYPES", "MODALITY_FACTOR", "SentenceView", "register", "registry", "run_extractors", "sentence_views", "sentences"]

Extractor = Callable[[Analysis], Iterator[Fact]]
_REGISTRY: dict[str, Extractor] = {}
#: Extractors that run after the others and never replace a fact a rule already stated.
BACKSTOPS = frozenset({"pairs.v1"})
#: Measured precision per (rule extractor, predicate) on FinRE valid and the DuIE dev slice
#: (``scripts/calibrate_rules.py``); it replaces the hand-set confidence of those facts.
PRECISION_FILE = resource_path("models", "rule-precision.json")
#: How much a negated or hedged statement of a fact is worth next to an asserted one.
MODALITY_FACTOR = {"asserted": 1.0, "hedged": 0.9, "negated": 0.5}


@lru_cache(maxsize=1)
def rule_precision() -> dict[str, dict[str, dict]]:
    if not PRECISION_FILE.is_file():
        return {}
    return json.loads(PRECISION_FILE.read_text(encoding="utf-8"))


def calibrated(fact: Fact) -> Fact:
    """``fact`` with its confidence set to the measured precision of its extractor and predicate, or
    of the extractor as a whole when the predicate was measured too rarely (scaled down for negated
    and hedged facts); unchanged for what was never measured (release.v1, quantities …)."""
    precision = rule_precision()
    predicate = "owns" if fact.predicate == "subsidiaryOf" else fact.predicate  # the converse of one statement
    if predicate not in precision.get("_measurable", ()):
        return fact
    table = precision.get(fact.extractor, {})
    measured = table.get(predicate) or table.get("*")
    if measured is None:
        return fact
    confidence = round(measured["precision"] * MODALITY_FACTOR.get(fact.modality, 1.0), 3)
    return fact if confidence == fact.confidence else replace(fact, confidence=confidence)

#: Characters that end a clause inside a sentence (enumeration commas do not).
CLAUSE_END = re.compile(r"[，,。；;！？!?：:\n]")


def register(name: str) -> Callable[[Extractor], Extractor]:
    def deco(fn: Extractor) -> Extractor:
        if name in _REGISTRY:
            raise ConfigError(f"extractor {name!r} registered twice")
        _REGISTRY[name] = fn
        return fn

    return deco


def registry() -> dict[str, Extractor]:
    from kg.extract import attribution, pairs, quantities, relations, roles, structure  # noqa: F401  (registration)

    return dict(sorted(_REGISTRY.items()))


def run_extractors(analysis: Analysis, names: tuple[str, ...] | None = None) -> list[Fact]:
    """All facts of one document from the chosen extractors, deduplicated, in text order."""
    available = registry()
    if names is None:
        names = tuple(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ConfigError(f"unknown extractor {unknown[0]!r}", fix="choose from " + ", ".join(available))
    try:
        return _run(analysis, names, available)
    finally:
        # the views refer to the analysis that keeps them: a reference cycle, which would keep the
        # document's mentions and views alive until the cycle collector's next full pass
        analysis.__dict__.pop(_VIEWS, None)


def _run(analysis: Analysis, names: tuple[str, ...], available: dict[str, Extractor]) -> list[Fact]:
    facts: dict[tuple, Fact] = {}
    # the rules first; a backstop (the trained pair classifier) adds only facts no rule stated
    for name in sorted(names, key=lambda n: n in BACKSTOPS):
        backstop = name in BACKSTOPS
        for fact in available[name](analysis):
            fact = calibrated(fact)
            key = (fact.subject.start, fact.predicate, _obj_key(fact.obj), fact.sentence.start)
            if key not in facts or (not backstop and facts[key].confidence < fact.confidence):
                facts[key] = fact
    for fact in distribute(analysis, list(facts.values())):
        key = (fact.subject.start, fact.predicate, _obj_key(fact.obj), fact.sentence.start)
        facts.setdefault(key, fact)
    # "子公司 owns …": a fact about a common noun the recogniser took for a name says nothing
    kept = (f for f in facts.values() if not names_nothing(f.subject)
            and not (isinstance(f.obj, Mention) and names_nothing(f.obj)))
    return sorted(kept, key=lambda f: (f.sentence.start, f.subject.start, f.predicate, _obj_key(f.obj)))


#: Between two members of a list of names: 腾讯、阿里巴巴和京东.
_LIST_SEP = re.compile(r"^(?:、|，?(?:和|及|以及|与)|、(?:和|及|以及))$")


def _lists(analysis: Analysis, sentence: Sentence) -> list[list[Mention]]:
    """Chains of two or more names of one kind joined by 、 (the last joiner may be 和/及/与, after a
    、), so the 与 of 华为与中国移动、中国电信签署 stays a relation between the parties, not a list."""
    ms = [m for m in analysis.mentions_within(sentence.start, sentence.end) if m.source != "coref"]
    chains, current, has_comma = [], [], False
    for m in ms:
        sep = analysis.view[current[-1].end:m.start] if current else ""
        # 和 / 与 close a list begun with 、 (A、B和C); before any 、 they join two parties (A与B签署)
        if current and type_group(m.type) == type_group(current[-1].type) and _LIST_SEP.match(sep) and ("、" in sep or has_comma):
            has_comma = True
            current.append(m)
            continue
        if len(current) > 1 and has_comma:
            chains.append(current)
        current, has_comma = [m], False
    if len(current) > 1 and has_comma:
        chains.append(current)
    return chains


def distribute(analysis: Analysis, facts: list[Fact]) -> Iterator[Fact]:
    """A fact about one member of a list holds for every member: 腾讯、阿里巴巴和京东均宣布投资星河科技
    (the rule saw 京东) -> all three invest; 华为与中国移动、中国电信签署 -> both sign with 华为."""
    by_sentence: dict[int, list[list[Mention]]] = {}
    for fact in facts:
        if not isinstance(fact.obj, Mention) or fact.claim is not None:
            continue
        s = fact.sentence
        if s.start not in by_sentence:
            by_sentence[s.start] = _lists(analysis, s)
        for chain in by_sentence[s.start]:
            if fact.subject in chain and fact.obj not in chain:
                for other in chain:
                    if other is not fact.subject and other.norm != fact.obj.norm:
                        yield replace(fact, subject=other)
            elif fact.obj in chain and fact.subject not in chain:
                for other in chain:
                    if other is not fact.obj and other.norm != fact.subject.norm:
                        yield replace(fact, obj=other)


def _obj_key(obj) -> tuple:
    if isinstance(obj, Mention):
        return (obj.start, obj.end, "")
    if isinstance(obj, str):
        return (-1, -1, obj)
    return (obj.of.start if obj.of else -1, -1, obj.text)


class SentenceView:
    """One sentence with its mentions and Simplified text, for pattern matching."""

    def __init__(self, analysis: Analysis, sentence: Sentence) -> None:
        self.analysis = analysis
        self.sentence = sentence
        self.view = analysis.view[sentence.start : sentence.end]
        self.mentions = analysis.mentions_within(sentence.start, sentence.end)

    def rel(self, pos: int) -> int:
        """Absolute offset -> offset in ``view``."""
        return pos - self.sentence.start

    def clause_bounds(self, pos: int) -> tuple[int, int]:
        """Absolute start/end of the clause containing absolute offset ``pos``."""
        rel = self.rel(pos)
        start = 0
        for m in CLAUSE_END.finditer(self.view, 0, rel):
            start = m.end()
        m = CLAUSE_END.search(self.view, rel)
        end = m.start() if m else len(self.view)
        return self.sentence.start + start, self.sentence.start + end

    def between(self, a: int, b: int) -> str:
        """Simplified text between absolute offsets a and b."""
        return self.analysis.view[a:b]

    def mentions_in(self, start: int, end: int, types: tuple[str, ...]) -> list[Mention]:
        return [m for m in self.mentions if start <= m.start and m.end <= end and m.type in types]


_VIEWS = "_sentence_views"  # where an analysis keeps its views


def sentence_views(analysis: Analysis) -> tuple[SentenceView, ...]:
    """A view of every sentence of the document, made once per analysis (each extractor walks
    them; a view is read-only) and kept on it as a cached attribute would be."""
    views = analysis.__dict__.get(_VIEWS)
    if views is None:
        views = analysis.__dict__[_VIEWS] = tuple(SentenceView(analysis, s) for s in analysis.sentences)
    return views


def sentences(analysis: Analysis) -> Iterator[SentenceView]:
    """The views of the sentences that have mentions."""
    for view in sentence_views(analysis):
        if view.mentions:
            yield view
