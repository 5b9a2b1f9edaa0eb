"""Property-based tests: extraction never raises on any text, every offset slices back to
its reported surface in the ORIGINAL input, and built graphs survive a Turtle round trip.

The strategies splice realistic news fragments (Traditional and Simplified) with noise:
arbitrary Unicode (no surrogates), combining marks, zero-width joiners, line and paragraph
separators, carriage returns, full-width forms, emoji and long runs of one character.
``KG_HYPOTHESIS_EXAMPLES`` raises the example budget for a longer local run.
"""

from __future__ import annotations

import os

import pyoxigraph
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic

import kg
from kg.model import Document
from kg.nlp import pipeline
from kg.nlp.pipeline import analyse, make_nlp
from kg.text import analysis_view, split_sentences
from tests.fragments import FRAGMENTS, NASTY

EXAMPLES = int(os.environ.get("KG_HYPOTHESIS_EXAMPLES", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# Any code point except surrogates (they cannot be encoded as UTF-8, so no input has them).
unicode_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
cjk_text = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=20)
latin_name = st.from_regex(r"[A-Z][A-Za-z0-9]{0,8}(?:[ .\-·][A-Za-z0-9]{1,6})?", fullmatch=True)
digits = st.from_regex(r"[0-9０-９]{1,8}(?:[.,][0-9]{1,3})?(?:萬億|万亿|亿|万|千)?(?:多|余)?(?:個|个|家|元|%)?", fullmatch=True)
runs = st.builds(
    lambda c, n: c * n,
    st.sampled_from(["多", "0", "9", "。", "\n", "\r", "\u2028", "\u0301", "“", "(", "萬", "a", "A", " ", "\u200d", "·", "-", "…"]),
    st.integers(1, 400),
)
piece = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.sampled_from(FRAGMENTS).map(analysis_view),
    st.sampled_from(NASTY),
    unicode_text,
    cjk_text,
    latin_name,
    digits,
    runs,
)
news = st.lists(piece, min_size=0, max_size=10).map("".join)
hints = st.lists(
    st.tuples(st.one_of(st.sampled_from(["", " ", "中国电信", "Sora", "周鸿祎", "(", "。"]), unicode_text),
              st.sampled_from([None, "COMPANY", "PERSON", "PRODUCT", "BOGUS"])),
    max_size=3,
).map(tuple)


@pytest.fixture(scope="module", autouse=True)
def _pipeline():
    make_nlp()  # built once; every example reuses it (lru_cache)


def _check_span(text: str, span: dict) -> None:
    assert 0 <= span["start"] < span["end"] <= len(text), span
    assert text[span["start"] : span["end"]] == span["text"], span


def check_record(text: str, record: dict) -> None:
    previous_end = 0
    for entity in record["entities"]:
        _check_span(text, entity)
        assert entity["start"] >= previous_end, "mentions overlap or are out of order"
        previous_end = entity["end"]
    for triple in record["triples"]:
        _check_span(text, triple["subject"])
        obj = triple["object"]
        if "start" in obj:
            _check_span(text, obj)
        if obj.get("of"):
            _check_span(text, obj["of"])
        if "text" in obj and "start" not in obj:
            assert obj["text"] in text
        sentence = triple["sentence"]
        assert 0 <= sentence["start"] < sentence["end"] <= len(text)
        assert text[sentence["start"] : sentence["end"]].strip()


@SETTINGS
@given(text=news, date=st.sampled_from([None, "2024-03-01", "0001-01-01"]), hints=hints)
def test_extract_never_raises_and_offsets_slice_back(text, date, hints):
    doc = Document(id="d", text=text, date=date, hints=hints)
    (record,) = kg.api.extract_records([doc])
    check_record(text, record)


@SETTINGS
@given(text=news)
def test_analysis_offsets_and_sentences_slice_back(text):
    (analysis,) = analyse(make_nlp(), [Document(id="d", text=text)])
    assert len(analysis.view) == len(text)
    assert analysis.view == analysis_view(text)
    # character for character: whatever is not Chinese keeps its place (ASCII as it is)
    assert all(a == b for a, b in zip(text, analysis.view) if a.isascii())
    for s in analysis.sentences:
        assert text[s.start : s.end] == s.text and s.text.strip() == s.text and s.text
    assert list(analysis.sentences) == split_sentences(text)
    for m in analysis.mentions:
        assert text[m.start : m.end] == m.text
        assert analysis.view[m.start : m.end] == m.norm
    # a recognised name or value never runs across a line or sentence end
    bounds = [(s.start, s.end) for s in analysis.sentences]
    for m in analysis.mentions:
        assert any(s <= m.start and m.end <= e for s, e in bounds), m


@SETTINGS
@given(text=news, limit=st.integers(1, 120))
def test_pieces_of_any_size_keep_offsets(text, limit):
    """The long-document path (pieces cut at sentence ends, or inside a too-long sentence)
    keeps every offset exact and the mentions non-overlapping, whatever the piece size."""
    saved = pipeline.CHUNK_CHARS
    pipeline.CHUNK_CHARS = limit
    try:
        (record,) = kg.api.extract_records([Document(id="d", text=text)])
        (analysis,) = analyse(make_nlp(), [Document(id="d", text=text)])
    finally:
        pipeline.CHUNK_CHARS = saved
    check_record(text, record)
    assert list(analysis.sentences) == split_sentences(text)
    assert all(a[1] <= b[0] for a, b in zip(analysis.tokens, analysis.tokens[1:]))
    assert all(0 <= s < e <= len(text) for s, e in analysis.tokens)


@SETTINGS
@given(text=news)
def test_extract_is_deterministic(text):
    assert kg.extract([text]) == kg.extract([text])


def _turtle_round_trip(g: kg.KnowledgeGraph) -> None:
    ttl = g.serialize("turtle")
    again = Graph().parse(data=ttl, format="turtle")
    assert isomorphic(again, g.rdf)
    store = pyoxigraph.Store()
    store.load(ttl.encode("utf-8"), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(g.rdf)


@settings(SETTINGS, max_examples=max(EXAMPLES // 2, 10))
@given(texts=st.lists(news.filter(str.strip), min_size=1, max_size=3))
def test_built_graph_round_trips_through_turtle(texts):
    _turtle_round_trip(kg.build(texts))
