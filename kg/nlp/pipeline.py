"""The spaCy pipeline: blank ``zh`` + our jieba tokenizer + the ``kg_mentions`` component.

The pipeline runs on the Simplified analysis view of each document, which has
the same length as the original, so every span maps back 1:1.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate
from operator import itemgetter
from pathlib import Path

import numpy as np
import spacy
from spacy.attrs import IDX, IS_SPACE, LENGTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import minibatch

from kg.errors import ConfigError
from kg.model import AGENT_TYPES, ENTITY_TYPES, ORG_TYPES, Document, Mention, Sentence
from kg.nlp import DEFAULT_SEGMENTER, coref, patterns
from kg.nlp.lexicon import Lexicon, load_lexicon
from kg.nlp.patterns import Candidate
from kg.nlp.tokenizer import JiebaTokenizer
from kg.text import LINE_BREAKS, analysis_view, detect_script, split_sentences

__all__ = ["CHUNK_CHARS", "NAME_TYPES", "Analysis", "analyse", "chunk_bounds", "make_nlp"]

log = logging.getLogger(__name__)

#: Types that denote named things (graph nodes); the rest are values.
NAME_TYPES = ("COMPANY", "ORG", "GOV", "PERSON", "PRODUCT", "PLACE", "CONCEPT", "FACILITY")
_TYPE_RANK = {t: i for i, t in enumerate(ENTITY_TYPES)}
_TIER = {"hint": 0, "lexicon": 1, "pattern": 1, "crf": 2}

if not Doc.has_extension("kg_mentions"):
    Doc.set_extension("kg_mentions", default=None)
if not Doc.has_extension("kg_hints"):
    Doc.set_extension("kg_hints", default=())


@dataclass(frozen=True)
class Analysis:
    """Everything the extractors need about one document."""

    document: Document
    script: str  # zh-Hant | zh-Hans | und
    view: str  # Simplified analysis view, same length as document.text
    sentences: tuple[Sentence, ...]
    tokens: tuple[tuple[int, int], ...]
    mentions: tuple[Mention, ...]  # non-overlapping, sorted by start

    @cached_property
    def _mention_starts(self) -> list[int]:
        return [m.start for m in self.mentions]

    def mentions_within(self, start: int, end: int) -> list[Mention]:
        """The mentions inside ``[start, end)``, found by bisection (a long document has many)."""
        lo = bisect_left(self._mention_starts, start)
        hi = bisect_left(self._mention_starts, end, lo)
        return [m for m in self.mentions[lo:hi] if m.end <= end]


COMBINE_POLICIES = ("fill", "extend", "model-first")


@Language.factory("kg_mentions", default_config={"lexicons": [], "use_crf": True, "combine": "model-first"})
def make_mentions(nlp: Language, name: str, lexicons: list[str], use_crf: bool, combine: str) -> MentionRecognizer:
    return MentionRecognizer(nlp, load_lexicon(tuple(lexicons)), use_crf=use_crf, combine=combine)


class MentionRecognizer:
    """Lexicon + pattern (+ trained CRF where shipped) layers, merged into one span list.

    Overlaps are resolved by tier (user hints, then lexicon and patterns, then the
    statistical model), then by length, then by type rank.
    """

    def __init__(self, nlp: Language, lexicon: Lexicon, *, use_crf: bool = True, combine: str = "model-first") -> None:
        if combine not in COMBINE_POLICIES:
            raise ConfigError(f"unknown combine policy {combine!r}", fix="use one of " + ", ".join(COMBINE_POLICIES))
        self.combine = combine
        self.lexicon = lexicon
        self.titles = set(lexicon.titles)
        self.matcher = PhraseMatcher(nlp.vocab)
        for surface in sorted(lexicon.entries):
            self.matcher.add(surface, [nlp.make_doc(surface)])
        self.crf = _load_crf() if use_crf else None
        self.tags = _word_tags(nlp)

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64, set_ents: bool = True) -> Iterator[Doc]:
        """Annotate docs; the CRF tags a batch of them at once (its cost is per batch, not per doc).
        ``set_ents=False`` leaves ``doc.ents`` empty (:func:`analyse` reads only ``doc._.kg_mentions``;
        making the spans is ~3 % of its time)."""
        for batch in minibatch(docs, batch_size):
            tokens = [token_spans(doc) for doc in batch]
            tagged = self.crf.tag_many([doc_text(doc) for doc in batch], tokens) if self.crf is not None else None
            for k, doc in enumerate(batch):
                self._annotate(doc, tokens[k], None if tagged is None else tagged[k], set_ents)
                yield doc

    def _annotate(self, doc: Doc, tokens: list[tuple[int, int]], crf_spans: list[tuple[int, int, str]] | None,
                  set_ents: bool = True) -> None:
        text = doc_text(doc)
        cands: list[Candidate] = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            entry = self.lexicon.entries[doc.vocab.strings[match_id]]
            end, canonical = span.end_char, entry.canonical
            if entry.type == "PRODUCT" and (version := _VERSION.match(text, end)) and text[end - 1].isascii():
                end, canonical = version.end(), None  # GPT-5 is not GPT: the surface is the name
            cands.append(Candidate(span.start_char, end, entry.type, "lexicon", canonical))
        cands.extend(patterns.dates(text))
        cands.extend(patterns.numbers(text))
        cands.extend(patterns.stock_codes(text, tokens))
        cands.extend(patterns.org_suffixes(text, tokens, self.tags))
        cands.extend(patterns.titled_people(text, tokens, self.titles))
        cands.extend(patterns.quoted_products(text))
        cands.extend(patterns.latin_names(text))
        cands.extend(self._hints(doc))
        cands.extend(patterns.compound_concepts(text, cands))
        chosen = select(cands)
        chosen = propagate(text, chosen)
        crf_cands = [] if crf_spans is None else [Candidate(s, e, t, "crf") for s, e, t in crf_spans]
        chosen = _type_hints(text, chosen, crf_cands)
        if crf_spans is not None:
            chosen = combine(text, chosen, crf_cands, self.combine)
        doc._.kg_mentions = chosen
        if not set_ents:
            return
        ents = []
        for c in chosen:
            span = doc.char_span(c.start, c.end, label=c.type)
            if span is not None:
                ents.append(span)
        doc.set_ents(ents)

    def _hints(self, doc: Doc) -> Iterator[Candidate]:
        for surface, etype in doc._.kg_hints:
            norm = analysis_view(surface.strip())
            if not norm or any(c in norm for c in LINE_BREAKS):
                continue  # a blank entry names nothing (and would match everywhere); a name is on one line
            entry = self.lexicon.entries.get(norm)
            if etype not in _TYPE_RANK:
                etype = entry.type if entry else patterns.guess_type(norm, default=_UNTYPED)
            text = doc_text(doc)
            pos = text.find(norm)
            while pos >= 0:
                yield Candidate(pos, pos + len(norm), etype, "hint", entry.canonical if entry else None)
                pos = text.find(norm, pos + len(norm))


_UNTYPED = "?"


def _type_hints(text: str, chosen: list[Candidate], model: list[Candidate]) -> list[Candidate]:
    """An untyped watch-list name takes the model's type for the same span when that is an
    agent type; else a surname-initial short name is a PERSON and anything else a COMPANY
    (watch-lists name agents; names a lexicon or suffix could type were typed already)."""
    by_span = {(m.start, m.end): m.type for m in model}
    out = []
    for c in chosen:
        if c.type == _UNTYPED:
            name = text[c.start : c.end]
            etype = by_span.get((c.start, c.end))
            if etype not in AGENT_TYPES:
                etype = "PERSON" if patterns.looks_like_person(name) else "COMPANY"
            c = c._replace(type=etype)
        out.append(c)
    return out


def doc_text(doc: Doc) -> str:
    """The doc's text as the tokenizer was given it (``Doc.text`` rebuilds it from Token objects)."""
    text = doc.user_data.get("kg_text")
    return doc.text if text is None else text


def token_spans(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of the non-space tokens, read from arrays (no Token objects)."""
    spans = doc.user_data.get("kg_tokens")
    if spans is None:
        arr = doc.to_array([IDX, LENGTH, IS_SPACE]).tolist()
        spans = [(i, i + n) for i, n, space in arr if not space]
        doc.user_data["kg_tokens"] = spans
    return spans


def select(cands: Iterable[Candidate]) -> list[Candidate]:
    """Greedy non-overlapping selection: tier, then longest, then lexicon before rules, then type rank.

    Candidates for the same span and type are merged first (a lexicon canonical
    name and a pattern's stock code both survive)."""
    merged: dict[tuple[int, int, str], Candidate] = {}
    for c in sorted(cands, key=lambda c: (_TIER.get(c.source, 1), c.source != "lexicon", _key(c))):
        key = (c.start, c.end, c.type)
        old = merged.get(key)
        merged[key] = c if old is None else old._replace(
            canonical=old.canonical or c.canonical, code=old.code or c.code
        )
    ranked = sorted(
        merged.values(),
        key=lambda c: (_TIER.get(c.source, 1), -(c.end - c.start), c.source != "lexicon", _TYPE_RANK.get(c.type, 99), _key(c)),
    )
    taken: list[Candidate] = []
    base = min((c.start for c in ranked), default=0)  # 0 unless a span starts before the text
    occupied = bytearray(max(0, max((c.end for c in ranked), default=0) - base))  # 1: a character a taken span covers
    for c in ranked:
        start, end = c.start - base, c.end - base
        if end <= start or occupied.find(1, start, end) >= 0:
            continue
        taken.append(c)
        occupied[start:end] = b"\x01" * (end - start)
    return sorted(taken, key=itemgetter(0, 1))  # (start, end)


_UNBALANCED = re.compile(rf"[，。；！？、,;!?…{LINE_BREAKS}]")


#: Verbs of announcing and saying that a model span swallowed (阿里发布Qwen2.5, 腾讯表示): no name.
_VERB_INSIDE = re.compile(r"发布|推出|宣布|表示|认为|指出|称将|预计")


#: A version right after a Latin product name from the lexicon: GPT-5, Claude 3.5, Gemini2, Llama 3.1.
#: Not a year, an amount or a count (Sora 2024年, GPT 10亿).
_VERSION = re.compile(r"(?:-\d+(?:\.\d+)*[a-zA-Z]{0,3}|\s?\d{1,2}(?:\.\d+)?[a-zA-Z]{0,2})(?![A-Za-z0-9.%年月日亿万号个])")


def _plausible(name: str) -> bool:
    """A name has no clause punctuation, no line break, balanced brackets and no announcing verb."""
    if _UNBALANCED.search(name) or _VERB_INSIDE.search(name):
        return False
    return name.count("(") == name.count(")") and name.count("（") == name.count("）")


def combine(text: str, chosen: list[Candidate], model: list[Candidate], policy: str) -> list[Candidate]:
    """Merge the statistical layer's spans into the rule layers' selection.

    ``fill``: model spans only fill gaps. ``extend``: a model span that strictly contains
    rule/lexicon name spans replaces them (北京 -> 北京市海淀区). ``model-first``: a model span
    replaces every overlapping name or title span, except user hints, spans that carry a
    stock code (百度集团-SW before its code) and a lexicon entry's exact span. Chosen by
    measurement (docs/evaluation.md)."""
    if policy == "fill":
        return select(chosen + [m for m in model if _plausible(text[m.start : m.end])])
    replaceable = NAME_TYPES + ("POSITION",)
    # ``out`` never overlaps itself, so sorted by start it is sorted by end too: the spans a
    # model span overlaps are one slice, found by bisection (long documents have many spans).
    out = sorted(chosen, key=lambda c: (c.start, c.end))
    ends = [c.end for c in out]

    def overlapping(start: int, end: int) -> tuple[int, int]:
        lo = hi = bisect_right(ends, start)
        while hi < len(out) and out[hi].start < end:
            hi += 1
        return lo, hi

    for m in sorted(model, key=lambda c: (c.start, c.end)):
        if not _plausible(text[m.start : m.end]):
            continue
        lo, hi = overlapping(m.start, m.end)
        hit = out[lo:hi]
        head = [c for c in hit if c.start == m.start and c.end < m.end and c.type in ORG_TYPES]
        if m.type == "POSITION" and head:
            # 360集团创始人 tagged as one title: the organisation stays, the rest is the title
            m = m._replace(start=head[0].end)
            lo, hi = overlapping(m.start, m.end)
            hit = out[lo:hi]
        if not hit:
            out.insert(lo, m)
            ends.insert(lo, m.end)
            continue
        if any(c.source == "hint" or c.type not in replaceable or c.code for c in hit):
            continue
        if any(c.start <= m.start and m.end <= c.end and c.source == "lexicon" for c in hit):
            continue  # the curated lexicon keeps its span, type and canonical name (中国移动, not 中国 + 移动)
        if sum(c.source == "lexicon" for c in hit) > 1:
            continue  # one model span swallowing several known names is a run-on (Sora依旧符合AI缩尺律)
        contained = all(m.start <= c.start and c.end <= m.end for c in hit) and any(
            c.end - c.start < m.end - m.start for c in hit
        )
        if policy == "model-first" or contained:
            out[lo:hi] = [m]
            ends[lo:hi] = [m.end]
    return out


def _key(c: Candidate) -> tuple:
    return (c.start, c.end, c.type, c.source, c.canonical or "", c.code or "")


def propagate(text: str, chosen: list[Candidate], names: Iterable[Candidate] | None = None) -> list[Candidate]:
    """A name typed once in a document is the same name wherever else it occurs there.

    ``names`` are the spans whose surfaces are looked for (default: ``chosen``)."""
    occupied = {i for c in chosen for i in range(c.start, c.end)}
    extra: list[Candidate] = []
    seen: set[str] = set()
    for c in chosen if names is None else names:
        surface = text[c.start : c.end]
        if c.type not in NAME_TYPES or c.source == "lexicon" or len(surface) < 2 or surface in seen:
            continue
        seen.add(surface)
        pos = text.find(surface)
        while pos >= 0:
            end = pos + len(surface)
            if not any(i in occupied for i in range(pos, end)) and _bounded(text, pos, end):
                extra.append(Candidate(pos, end, c.type, "pattern", c.canonical))
                occupied.update(range(pos, end))
            pos = text.find(surface, end)
    return sorted(chosen + extra, key=lambda c: (c.start, c.end))


def _bounded(text: str, start: int, end: int) -> bool:
    """Latin names must not continue into more Latin letters (Sora vs Soraya)."""
    left = text[start - 1] if start > 0 else " "
    right = text[end] if end < len(text) else " "
    if text[start].isascii() and left.isascii() and left.isalnum():
        return False
    return not (text[end - 1].isascii() and right.isascii() and right.isalnum())


def _word_tags(nlp: Language) -> Mapping[str, str]:
    """jieba's dictionary POS tags (word -> tag), read once; no POS tagging is run."""
    jieba_tokenizer = getattr(nlp.tokenizer, "jieba", None)
    if jieba_tokenizer is None:
        return {}
    # None: the backend's bundled dict.txt (jieba-fast-dat ships a larger one than jieba)
    key = f"{type(jieba_tokenizer).__module__}:{jieba_tokenizer.dictionary}"
    if key not in _DICT_TAGS:
        from kg.cache import cached

        with jieba_tokenizer.get_dict_file() as f:
            path = Path(f.name)
        _DICT_TAGS[key] = cached("word-tags", lambda: WordTags(_read_word_tags(path)), reads=[path], code=[Path(__file__)])
    return _DICT_TAGS[key]


def _read_word_tags(path: Path) -> dict[str, str]:
    """word -> tag of a jieba dictionary's "word freq tag" lines."""
    tags: dict[str, str] = {}
    with open(path, "rb") as f:
        for raw in f:
            parts = raw.decode("utf-8").strip().split(" ")
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


class WordTags(Mapping[str, str]):
    """word -> tag, read-only, for a dictionary too large to load as a dict at every process start
    (jieba-fast's: 583 k words, 0.4 s to unpickle as a dict, ~20 ms as this): the words' UTF-8
    bytes sorted end to end, found by bisection, and a byte per word naming its tag. The pipeline
    looks up few words (the tokens before an organisation suffix), each found once per process."""

    _MEMO = 1 << 16  # words remembered per process (then forgotten, all at once)

    def __init__(self, tags: dict[str, str]) -> None:
        items = sorted((word.encode("utf-8"), tag) for word, tag in tags.items())
        self.names = sorted({tag for _, tag in items})
        if len(self.names) > 256:
            raise ValueError("more than 256 distinct tags")
        code = {tag: k for k, tag in enumerate(self.names)}
        self.blob = b"".join(word for word, _ in items)
        self.bounds = [0, *accumulate(len(word) for word, _ in items)]  # word k: blob[bounds[k]:bounds[k + 1]]
        self.codes = bytes(code[tag] for _, tag in items)
        self._memo: dict[str, str | None] = {}

    def __getstate__(self) -> dict:
        return {"names": self.names, "blob": self.blob, "bounds": np.array(self.bounds, dtype=np.int64), "codes": self.codes}

    def __setstate__(self, state: dict) -> None:
        self.names, self.blob, self.codes = state["names"], state["blob"], state["codes"]
        self.bounds = state["bounds"].tolist()
        self._memo = {}

    def _word(self, k: int) -> bytes:
        return self.blob[self.bounds[k] : self.bounds[k + 1]]

    def get(self, word: str, default: str | None = None) -> str | None:  # type: ignore[override]
        memo = self._memo
        if word in memo:
            tag = memo[word]
            return default if tag is None else tag
        key = word.encode("utf-8")
        k = bisect_left(range(len(self)), key, key=self._word)  # the first word not below key
        tag = self.names[self.codes[k]] if k < len(self) and self._word(k) == key else None
        if len(memo) >= self._MEMO:
            memo.clear()
        memo[word] = tag
        return default if tag is None else tag

    def __getitem__(self, word: str) -> str:
        tag = self.get(word)
        if tag is None:
            raise KeyError(word)
        return tag

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __iter__(self) -> Iterator[str]:
        return (self._word(k).decode("utf-8") for k in range(len(self)))

    def items(self) -> Iterator[tuple[str, str]]:  # type: ignore[override]
        """(word, tag) in the words' order, without a lookup each (as ``dict(tags.items())`` reads them)."""
        names, codes = self.names, self.codes
        return ((word, names[codes[k]]) for k, word in enumerate(self))


# dictionary -> the table jieba.posseg.POSTokenizer builds (word -> tag from the "word freq tag"
# lines), read directly: importing jieba.posseg and building a POSTokenizer cost 2.8 s of every
# process start, mostly for HMM tables the pipeline never uses.
_DICT_TAGS: dict[str, WordTags] = {}


def _load_crf():
    try:
        from kg.nlp.crf import CRFTagger, default_model_path
    except ImportError:  # the statistical layer is optional
        return None
    path = default_model_path()
    if not path.exists():
        log.debug("no CRF model at %s; lexicon and patterns only", path)
        return None
    return CRFTagger.load(path)


def make_nlp(lexicons: tuple[str, ...] = (), use_crf: bool = True, segmenter: str = DEFAULT_SEGMENTER) -> Language:
    """The pipeline, built once per process and option set (however the options are spelled)."""
    return _make_nlp(tuple(lexicons), bool(use_crf), segmenter)


@lru_cache(maxsize=4)
def _make_nlp(lexicons: tuple[str, ...], use_crf: bool, segmenter: str) -> Language:
    nlp = spacy.blank("zh")
    # Every new word type becomes a lexeme whose ~20 lexical attributes (shape, prefix, like_num…)
    # spaCy computes in Python; the pipeline reads only IS_SPACE (token_spans), so only that is kept.
    getters = nlp.vocab.lex_attr_getters
    nlp.vocab.lex_attr_getters = {IS_SPACE: getters[IS_SPACE]}
    nlp.tokenizer = JiebaTokenizer(nlp.vocab, load_lexicon(lexicons).words(), segmenter)
    nlp.add_pipe("kg_mentions", config={"lexicons": list(lexicons), "use_crf": use_crf})
    return nlp


#: Documents longer than this many characters are analysed in pieces of at most this many
#: characters, cut after a sentence end, so the spaCy doc, jieba and the CRF only ever see a
#: bounded text; every offset is still relative to the whole document. Measured on one 1 MB
#: document (docs/reliability.md): 100k-character pieces peak at 734 MB RSS, 25k at 517 MB
#: and no slower; a news article is far shorter than either.
CHUNK_CHARS = 25_000
# A single sentence longer than a piece is cut after the last clause mark or space in the
# second half of the piece (else at the limit).
_SOFT_BREAK = re.compile(r"[，,、：:\s]")


def chunk_bounds(text: str, sentences: Iterable[Sentence] | None = None, limit: int | None = None) -> list[tuple[int, int]]:
    """Contiguous ``(start, end)`` pieces covering ``text``, each at most ``limit``
    (default :data:`CHUNK_CHARS`) characters, cut after a sentence end where one fits."""
    limit = CHUNK_CHARS if limit is None else limit
    if limit < 1:
        raise ConfigError(f"chunk size must be positive, got {limit}")
    ends = [s.end for s in (split_sentences(text) if sentences is None else sentences)]
    bounds: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > limit:
        hard = start + limit
        i = bisect_right(ends, hard) - 1
        if i >= 0 and ends[i] > start:
            cut = ends[i]
        else:
            soft = None
            for soft in _SOFT_BREAK.finditer(text, start + limit // 2, hard):
                pass
            cut = soft.end() if soft is not None else hard
        bounds.append((start, cut))
        start = cut
    bounds.append((start, len(text)))
    return bounds


def _shift(c: Candidate, offset: int) -> Candidate:
    return c._replace(start=c.start + offset, end=c.end + offset) if offset else c


#: What :func:`analyse` asks of the mention recogniser: no ``doc.ents`` (the Docs are dropped).
_NO_ENTS = {"kg_mentions": {"set_ents": False}}


def analyse(nlp: Language, documents: Iterable[Document], *, batch_size: int = 64) -> Iterator[Analysis]:
    """Run the pipeline over documents, streaming, in input order.

    A document longer than :data:`CHUNK_CHARS` goes through the pipeline in pieces cut at
    sentence boundaries (:func:`chunk_bounds`); their mentions and tokens are shifted back
    to whole-document offsets, and names are then propagated across the whole document."""

    def pieces() -> Iterator[tuple[Doc, tuple]]:
        for document in documents:
            text = document.text
            view = analysis_view(text)
            sentences = tuple(split_sentences(text))
            bounds = chunk_bounds(text, sentences) if len(text) > CHUNK_CHARS else [(0, len(text))]
            for k, (start, end) in enumerate(bounds):
                doc = nlp.make_doc(view[start:end])
                doc._.kg_hints = document.hints
                yield doc, (document, view, sentences, start, k == len(bounds) - 1, len(bounds) > 1)

    cands: list[Candidate] = []
    tokens: list[tuple[int, int]] = []
    annotated = nlp.pipe(pieces(), as_tuples=True, batch_size=batch_size, component_cfg=_NO_ENTS)
    for doc, (document, view, sentences, offset, last, chunked) in annotated:
        if offset:
            cands.extend(_shift(c, offset) for c in doc._.kg_mentions)
            tokens.extend((s + offset, e + offset) for s, e in token_spans(doc))
        else:
            cands.extend(doc._.kg_mentions)
            tokens.extend(token_spans(doc))
        if not last:
            continue  # more pieces of this document to come
        if chunked:
            # each piece propagated its own names; now across pieces (rule-layer names only, as within one)
            cands = propagate(view, cands, names=[c for c in cands if c.source != "crf"])
        text = document.text
        mentions = tuple(
            Mention(
                start=c.start,
                end=c.end,
                text=text[c.start : c.end],
                type=c.type,
                norm=view[c.start : c.end],
                source=c.source,
                canonical=c.canonical,
                code=c.code,
            )
            for c in cands
        )
        mentions = coref.resolve(view, tokens, mentions, text)
        yield Analysis(
            document=document,
            script=detect_script(text, view),
            view=view,
            sentences=sentences,
            tokens=tuple(tokens),
            mentions=mentions,
        )
        cands, tokens = [], []
