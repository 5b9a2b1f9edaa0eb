"""Regressions for bugs the property tests and the fuzzer found, and long-document chunking."""

from __future__ import annotations

from itertools import pairwise

import pytest

import kg
from kg.model import Document
from kg.nlp import pipeline
from kg.nlp.pipeline import analyse, chunk_bounds, make_nlp
from kg.text import LINE_BREAKS, split_sentences

PARAGRAPH = (
    "對於此次的Sora問世,360集團創始人、董事長周鴻禕表示,這意味著AGI實現將從10年縮短至1年。"
    "OpenAI於2月16日釋出首個文生影片模型“Sora”。相關概念股:集團-SW(09888)、中國電信(00728)。"
    "中國電信現擁有700多個數據中心,3000多個邊緣計算中心,51.3萬個IDC機架。"
)


# ---------------------------------------------------------------- watch-list hints


@pytest.mark.parametrize("surface", ["", "   ", "\u3000"])
def test_blank_hint_is_ignored_not_an_endless_loop(surface):
    """A blank watch-list entry used to match at every position forever (find("") == pos)."""
    (record,) = kg.api.extract_records([Document(id="d", text="中国电信发布了新套餐。", hints=((surface, None),))])
    assert {e["text"] for e in record["entities"]} >= {"中国电信"}


def test_hint_across_a_line_break_is_ignored():
    """Found by fuzzing kg build: the hint '0\\x0c0' became an entity whose label had a form feed."""
    text = "中國電信擁有700多個數據中心0\x0c0中國電信"
    (analysis,) = analyse(make_nlp((), False), [Document(id="d", text=text, hints=(("0\x0c0", None),))])
    assert not any(c in m.text for m in analysis.mentions for c in LINE_BREAKS)


def test_hint_with_surrounding_spaces_is_found():
    (record,) = kg.api.extract_records([Document(id="d", text="据悉星河云图今日上线。", hints=((" 星河云图 ", "PRODUCT"),))])
    assert {(e["text"], e["type"]) for e in record["entities"]} >= {("星河云图", "PRODUCT")}


# ---------------------------------------------------------------- sentences


@pytest.mark.parametrize("brk", ["\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"])
def test_every_unicode_line_break_ends_a_sentence(brk):
    """Old Mac line ends (\\r) and Unicode separators used to leave one endless sentence,
    so facts were drawn across lines."""
    text = f"腾讯控股今日公布业绩{brk}星河科技发布了新套餐"
    assert [s.text for s in split_sentences(text)] == ["腾讯控股今日公布业绩", "星河科技发布了新套餐"]


@pytest.mark.parametrize("brk", ["\u2028", "\n", "\r"])
def test_a_model_name_never_runs_across_line_breaks(brk):
    """The CRF tagged '\u0301' + 37 line separators + '中国电信' as one COMPANY (found by
    scripts/fuzz.py build): a name with line breaks in it, which also broke the Turtle."""
    text = "\u0301" + brk * 37 + "中国电信现拥有700多个数据中心,3000多个边缘计算中心,51.3万个IDC机架"
    (analysis,) = analyse(make_nlp(), [Document(id="d", text=text)])
    assert ("中国电信", "COMPANY") in {(m.text, m.type) for m in analysis.mentions}
    assert not any(c in m.text for m in analysis.mentions for c in LINE_BREAKS)


def test_values_and_quoted_names_stay_on_their_line():
    (analysis,) = analyse(make_nlp((), False), [Document(id="d", text="增长50\n%，算力6.2\nEflops，模型“So\u2028ra”上线")])
    assert not any(c in m.text for m in analysis.mentions for c in LINE_BREAKS)


# ---------------------------------------------------------------- long documents


def test_chunk_bounds_cover_the_text_and_cut_after_sentences():
    text = "\n".join([PARAGRAPH] * 7)
    ends = {s.end for s in split_sentences(text)}
    bounds = chunk_bounds(text, limit=300)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(bounds))
    assert all(0 < end - start <= 300 for start, end in bounds)
    assert all(end in ends for _, end in bounds[:-1])


def test_chunk_bounds_cut_a_sentence_longer_than_a_piece():
    text = "甲" * 250 + "，" + "乙" * 400 + "。"
    bounds = chunk_bounds(text, limit=300)
    assert bounds[0] == (0, 251)  # after the comma in the second half of the piece
    assert all(0 < end - start <= 300 for start, end in bounds)
    assert bounds[-1][1] == len(text)
    assert chunk_bounds("x" * 1000, limit=300) == [(0, 300), (300, 600), (600, 900), (900, 1000)]
    assert chunk_bounds("", limit=10) == [(0, 0)]


def _relative(items, start, end):
    return [(m.start - start, m.end - start, m.text, m.type, m.norm, m.canonical, m.code) for m in items if start <= m.start and m.end <= end]


@pytest.mark.parametrize("use_crf", [False, True])
def test_long_document_in_pieces_has_the_entities_of_separate_analyses(monkeypatch, use_crf):
    """N copies of a paragraph, analysed in pieces, give each copy the entities of the
    paragraph analysed alone, at shifted offsets that slice back to the same text."""
    n = 6
    text = "\n".join([PARAGRAPH] * n)
    step = len(PARAGRAPH) + 1
    monkeypatch.setattr(pipeline, "CHUNK_CHARS", 2 * step + 10)  # two paragraphs a piece
    assert len(chunk_bounds(text)) == n // 2
    nlp = make_nlp((), use_crf)
    (alone,) = analyse(nlp, [Document(id="p", text=PARAGRAPH)])
    (whole,) = analyse(nlp, [Document(id="w", text=text)])
    expected = _relative(alone.mentions, 0, len(PARAGRAPH))
    assert expected
    for k in range(n):
        assert _relative(whole.mentions, k * step, k * step + len(PARAGRAPH)) == expected, k
    assert all(text[m.start : m.end] == m.text for m in whole.mentions)
    assert [(s.start, s.end) for s in whole.sentences] == [(s.start, s.end) for s in split_sentences(text)]
    assert whole.view[: len(PARAGRAPH)] == alone.view
    # the tokens of every piece are shifted back to document offsets, in order
    assert all(a[1] <= b[0] for a, b in zip(whole.tokens, whole.tokens[1:]))

    # facts too: every fact of the paragraph, once per copy, at shifted offsets
    def facts(record, start, end):
        return sorted(
            (t["predicate"], t["subject"]["start"] - start, t["subject"]["text"], t["sentence"]["start"] - start)
            for t in record["triples"]
            if start <= t["sentence"]["start"] and t["sentence"]["end"] <= end
        )

    (one,) = kg.extract([PARAGRAPH], use_crf=use_crf)
    (many,) = kg.extract([text], use_crf=use_crf)
    assert facts(one, 0, len(PARAGRAPH))
    for k in range(n):
        assert facts(many, k * step, k * step + len(PARAGRAPH)) == facts(one, 0, len(PARAGRAPH)), k
    for t in many["triples"]:
        assert text[t["subject"]["start"] : t["subject"]["end"]] == t["subject"]["text"]


def test_names_propagate_across_pieces(monkeypatch):
    """A name typed in one piece (董事长 + name) is recognised in a later piece too, as in
    the whole document."""
    text = "星河科技董事长周明远今日宣布融资。\n" + "今天天气很好。" * 40 + "\n据悉周明远此前曾任职于多家公司。"
    nlp = make_nlp((), False)
    (unchunked,) = analyse(nlp, [Document(id="d", text=text)])
    people = [(m.text, m.start) for m in unchunked.mentions if m.type == "PERSON"]
    assert people == [("周明远", text.index("周明远")), ("周明远", text.rindex("周明远"))]
    monkeypatch.setattr(pipeline, "CHUNK_CHARS", 200)
    assert len(chunk_bounds(text)) > 1
    (chunked,) = analyse(nlp, [Document(id="d", text=text)])
    assert chunked.mentions == unchunked.mentions


def test_document_longer_than_spacys_max_length(monkeypatch):
    """spaCy refuses texts longer than ``nlp.max_length`` (E088); pieces never are."""
    nlp = make_nlp((), False)
    monkeypatch.setattr(nlp, "max_length", 500)
    monkeypatch.setattr(pipeline, "CHUNK_CHARS", 400)
    text = "\n".join([PARAGRAPH] * 12)
    assert len(text) > 500
    (analysis,) = analyse(nlp, [Document(id="d", text=text)])
    assert analysis.mentions and all(text[m.start : m.end] == m.text for m in analysis.mentions)


def test_chunk_size_is_below_spacys_limit():
    assert pipeline.CHUNK_CHARS < make_nlp((), False).max_length


# ---------------------------------------------------------------- reported, not ours to fix


@pytest.mark.parametrize("sep", ["\x1c", "\x1e", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_turtle_of_a_sentence_with_an_information_separator(sep):
    from rdflib import Graph
    from rdflib.compare import isomorphic

    g = kg.build([f"中國電信{sep}擁有700多個數據中心。OpenAI發布了Sora{sep}。"], use_crf=False)
    for fmt, parser in (("turtle", "turtle"), ("nt", "nt")):
        assert isomorphic(Graph().parse(data=g.serialize(fmt), format=parser), g.rdf)


def test_an_invalid_document_date_is_not_written_as_an_ill_typed_literal():
    from kg.model import Document

    g = kg.build([Document("d", "OpenAI發布了Sora。", date="garbage"), Document("e", "百度推出了文心。", date="2024-02-30")], use_crf=False)
    assert "garbage" not in g.serialize() and "2024-02-30" not in g.serialize()
