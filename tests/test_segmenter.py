"""The segmentation backends (--segmenter jieba | jieba-fast)."""

from __future__ import annotations

import builtins

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kg.api import Options
from kg.cli import app
from kg.errors import ConfigError
from kg.nlp.tokenizer import check_segmenter, join_numbers, new_jieba
from kg.state import fingerprint

runner = CliRunner()


@pytest.mark.parametrize(("text", "words", "expected"), [
    ("发行15.74亿元", ["发行", "15", ".", "74", "亿元"], ["发行", "15.74", "亿元"]),
    ("涨20%-25%", ["涨", "20", "%-", "25", "%"], ["涨", "20%", "-", "25%"]),
    ("上涨1%后", ["上涨", "1", "%", "后"], ["上涨", "1%", "后"]),
    ("1号店和A股", ["1号店", "和", "A股"], ["1号店", "和", "A股"]),  # dictionary words stay whole
    ("版本3.5发布", ["版本", "3.5", "发布"], ["版本", "3.5", "发布"]),
    ("没有数字", ["没有", "数字"], ["没有", "数字"]),
    ("v2.0", ["v2", ".", "0"], ["v2", ".", "0"]),  # not a number on its own: left as cut
])
def test_join_numbers(text, words, expected):
    assert join_numbers(text, words) == expected
    assert "".join(join_numbers(text, words)) == text


def test_both_backends_segment_alike_and_keep_lexicon_words():
    text = "国盛证券认为，中国电信拥有700多个数据中心，股价上涨3.5%。"
    ref = list(new_jieba(["国盛证券"], "jieba").cut(text))
    fast = join_numbers(text, list(new_jieba(["国盛证券"], "jieba-fast").cut(text)))
    assert "国盛证券" in fast and "3.5%" in fast
    assert fast == ref


def test_unknown_or_missing_segmenter_is_one_clear_error(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="unknown segmenter 'icu'"):
        check_segmenter("icu")
    real_import = builtins.__import__

    def no_fast(name, *args, **kwargs):
        if name == "jieba_fast_dat":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_fast)
    with pytest.raises(ConfigError, match=r"not installed.*pip install jieba-fast-dat.*--segmenter jieba"):
        check_segmenter("jieba-fast")
    result = runner.invoke(app, ["build", "--segmenter", "jieba-fast", "-o", str(tmp_path / "out")])
    assert result.exit_code != 0 and not (tmp_path / "out" / "graph.ttl").exists()


def test_the_segmenter_is_part_of_the_build_fingerprint():
    assert fingerprint(Options()) != fingerprint(Options(segmenter="jieba"))
    assert fingerprint(Options()) == fingerprint(Options(segmenter="jieba-fast"))  # the default


def test_sample_graph_is_the_same_with_either_backend(tmp_path):
    for seg in ("jieba", "jieba-fast"):
        result = runner.invoke(app, ["build", "-o", str(tmp_path / seg), "-q", "--no-model", "--segmenter", seg])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "jieba" / "graph.ttl").read_bytes() == (tmp_path / "jieba-fast" / "graph.ttl").read_bytes()


def test_one_pipeline_per_option_set_however_spelled():
    from kg.nlp.pipeline import make_nlp

    assert make_nlp() is make_nlp((), True) is make_nlp((), True, "jieba-fast") is make_nlp(lexicons=[], use_crf=1)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="中文ab1 \n\t\u3000.", min_size=1, max_size=4), max_size=12))
def test_words_and_spaces_equal_spacys_for_any_tiling(words):
    from spacy.util import get_words_and_spaces

    from kg.nlp.tokenizer import words_and_spaces

    text = "".join(words)
    try:
        want = get_words_and_spaces(words, text)
    except ValueError:
        return  # spaCy refuses (it cannot align): nothing to compare
    assert words_and_spaces(words, text) == want


def test_the_tokenizer_keeps_the_text_it_was_given():
    from kg.nlp.pipeline import doc_text, make_nlp

    nlp = make_nlp()
    for text in ("中国电信 在 2024年\n\n发布了  新产品。", "", "   ", "OpenAI发布Sora"):
        doc = nlp.make_doc(text)
        assert doc_text(doc) == doc.text == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="中国电信发布了新产品年月日OpenAI12.% \n\u3000。，", max_size=40))
def test_the_tokenizers_spans_are_the_docs_non_space_tokens(text):
    """The spans the tokenizer hands over for a text without spaces are those read from the Doc."""
    from kg.nlp.pipeline import make_nlp, token_spans

    doc = make_nlp().make_doc(text)
    handed_over = "kg_tokens" in doc.user_data
    assert handed_over == (bool(text) and not any(c.isspace() for c in text))
    assert token_spans(doc) == [(t.idx, t.idx + len(t)) for t in doc if not t.is_space]
