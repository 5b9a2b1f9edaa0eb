"""The compiled CRF (kg/nlp/crfvec.py) must tag exactly as crfsuite does."""

from __future__ import annotations

import numpy as np
import pycrfsuite
import pytest

from kg.nlp import crf, crfvec

MODEL = crf.default_model_path()
pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="shipped CRF model missing")

TEXTS = [
    "阿里巴巴集团首席执行官张勇在杭州表示，公司将继续加大对云计算的投入。",
    "腾讯控股有限公司首席执行官马化腾昨日在深圳出席活动。",
    "中國電信在全國擁有超過700個數據中心，國泰君安預測算力需求將大增。",
    "ＡＢＣ１２３，Hello world！\r\n İstanbul ß ﬁ 𠀀 \t 张三",  # full-width, non-BMP, spaces
    "欧阳修和司马光", "张", "。", " ", "a",
    "<s>中</s>和</s><s>",  # text that looks like the padding symbols
    "OpenAI於2月發布Sora，微軟CEO納德拉表示：「這是里程碑」。国务院发改委副主任李明说",
    "北京市朝阳区建国路88号SOHO现代城的华为技术有限公司研发中心主任王小二和欧阳娜娜",
]


@pytest.fixture(scope="module")
def crfsuite_tagger():
    t = pycrfsuite.Tagger()
    t.open(str(MODEL))
    return t


@pytest.fixture(scope="module")
def compiled():
    model = crfvec.compile_model(MODEL)
    assert model is not None
    return model


@pytest.fixture(scope="module")
def featurizer(crfsuite_tagger):
    return crf.Featurizer(crf.model_attributes(crfsuite_tagger), use_clusters=False)


_SEGMENTER = crf._Segmenter()  # one jieba tokenizer for the module (each takes ~1 s to load)


def _words(text):
    return _SEGMENTER.words(text) if text else []


def test_reads_labels_and_weights_of_the_model_file(crfsuite_tagger):
    labels, attrs, feats = crfvec.read_model(MODEL)
    assert labels == crfsuite_tagger.labels()
    info = crfsuite_tagger.info()  # weights as crfsuite's text dump prints them (6 decimals)
    state = feats[feats["type"] == 0]
    assert len(state) == len(info.state_features)
    for f in state[:: max(1, len(state) // 500)]:
        key = (attrs[f["src"]], labels[f["dst"]])
        assert info.state_features[key] == pytest.approx(f["weight"], abs=1e-6)
    trans = feats[feats["type"] == 1]
    assert {(labels[f["src"]], labels[f["dst"]]): round(float(f["weight"]), 6) for f in trans} == pytest.approx(
        info.transitions, abs=1e-6)


def test_rejects_a_file_that_is_not_a_model(tmp_path):
    bad = tmp_path / "x.crfsuite"
    bad.write_bytes(b"\0" * 64)
    with pytest.raises(ValueError, match="not a crfsuite"):
        crfvec.read_model(bad)


def test_emissions_are_the_summed_weights_of_the_feature_strings(compiled, featurizer):
    labels, attrs, _ = crfvec.read_model(MODEL)
    row = {a: i for i, a in enumerate(attrs)}
    words = [_words(t) for t in TEXTS]
    E, bounds = compiled.emissions(TEXTS, words)
    assert list(bounds) == list(np.cumsum([0] + [len(t) for t in TEXTS]))
    for k, (text, w) in enumerate(zip(TEXTS, words)):
        want = np.array([compiled.W[[row[f] for f in fs if f in row]].sum(0) for fs in featurizer(text, w)]) if text else np.zeros((0, len(labels)))
        np.testing.assert_allclose(E[bounds[k]:bounds[k + 1]], want.reshape(-1, len(labels)), rtol=0, atol=1e-9)


def test_normalised_characters_and_classes_are_normalise_and_its_class_table():
    texts = [*TEXTS, "𝟘𝟗𐐀𐐨𠀀Ａ０ＺⅫ½", ""]  # digits, upper/lower case and Han beyond the BMP; full-width
    codes, classes = crfvec._normalised(texts)
    joined = "".join(crf.normalise(t) for t in texts)
    assert codes.tolist() == [ord(c) for c in joined]
    assert classes.tolist() == [ord(c) for c in joined.translate(crf._CLASS_TABLE)]
    # beyond the BMP: a digit, an upper-case letter, a Han character; then a full-width letter
    codes, classes = crfvec._normalised(["𝟘𐐀𠀀Ａ"])
    assert codes.tolist() == [ord("0"), ord("𐐨"), 0x20000, ord("a")]
    assert classes.tolist() == [ord(c) for c in "DAHL"]


def test_tags_equal_crfsuite_one_by_one_and_in_a_batch(compiled, featurizer, crfsuite_tagger):
    words = [_words(t) for t in TEXTS]
    want = [crfsuite_tagger.tag(featurizer(t, w)) if t else [] for t, w in zip(TEXTS, words)]
    assert compiled.tag(TEXTS, words) == want
    assert [compiled.tag([t], [w])[0] for t, w in zip(TEXTS, words)] == want
    # words that do not cover the text (gaps, overlaps) are repaired the same way
    odd = [[(0, 3), (2, 5), (9, 12)], None]
    want = [crfsuite_tagger.tag(featurizer(TEXTS[0], w)) for w in odd]
    assert compiled.tag([TEXTS[0]] * 2, odd) == want


def test_tagger_gives_the_same_spans_compiled_or_not():
    fast = crf.CRFTagger.load()
    slow = crf.CRFTagger.load(compiled=False)
    assert fast._compiled is not None and slow._compiled is None
    assert fast.tag_many(TEXTS) == slow.tag_many(TEXTS)
    assert fast.tag(TEXTS[0]) == slow.tag(TEXTS[0]) != []


def test_viterbi_keeps_the_first_best_label_on_ties():
    E = np.zeros((3, 2))
    T = np.zeros((2, 2))
    out = np.empty(3, dtype=np.int64)
    crfvec._viterbi(E, np.array([0, 3]), T, out)
    assert out.tolist() == [0, 0, 0]
    E[1, 1] = 1.0
    T[1, 0] = -5.0
    crfvec._viterbi(E, np.array([0, 3]), T, out)
    assert out.tolist() == [0, 1, 1]


def test_table_finds_every_key_and_only_those():
    rng = np.random.default_rng(7)
    keys = {int(k) for k in rng.integers(0, 1 << 63, size=5000)} | {0, 1, (1 << 63) - 1}
    items = {k: i for i, k in enumerate(sorted(keys))}
    table = crfvec._Table(items, zero=-7)
    q = np.array(sorted(keys), dtype=np.int64)
    assert table(q).tolist() == [items[k] for k in sorted(keys)]
    absent = np.array([k for k in rng.integers(0, 1 << 63, size=5000).tolist() if k not in keys] + [2], dtype=np.int64)
    assert set(table(absent).tolist()) == {-7}
    assert crfvec._Table({}, zero=3)(np.array([0, 5], dtype=np.int64)).tolist() == [3, 3]


@pytest.mark.parametrize("words", [
    [[(0, 2), (2, 3)], [(0, 1), (1, 4)]],  # a segmenter's tiling
    [[(0, 2), (4, 5)], [(1, 3)]],  # gaps (spaces dropped): one-character words fill them
    [None, []],  # no words: every character is one
    [[(0, 3), (2, 4)], [(1, 3)]],  # an overlap: the first text goes through _word_info
    [[(2, 4), (0, 1)], [(0, 9)]],  # out of order; past the end of the text
])
def test_batch_words_are_word_info_side_by_side(words):
    texts = ["abcde", "", "wxyz"]
    words = [words[0], [], words[1]]
    bounds = np.array([0, 5, 5, 9])
    ws, we = crfvec._batch_words(texts, words, bounds)
    want = [(s + o, e + o) for text, w, o in zip(texts, words, bounds) for s, e in (crf._word_info(len(text), w) if text else [])]
    assert list(zip(ws.tolist(), we.tolist())) == want


def test_clues_stop_at_the_end_of_each_text_of_a_batch(compiled, featurizer):
    # side by side these would make lexicon words (中国移动, 北京大学), a suffix (有限公司), a
    # compound surname (欧阳) and a prefix (首席): each text's clues are its own
    texts = ["中国", "移动公司", "北京", "大学", "华为有限", "公司", "欧", "阳修", "首", "席执行官"]
    words = [_words(t) for t in texts]
    E, bounds = compiled.emissions(texts, words)
    labels, attrs, _ = crfvec.read_model(MODEL)
    row = {a: i for i, a in enumerate(attrs)}
    for k, (text, w) in enumerate(zip(texts, words)):
        alone, _ = compiled.emissions([text], [w])
        assert np.array_equal(E[bounds[k]:bounds[k + 1]], alone), text
        want = np.array([compiled.W[[row[f] for f in fs if f in row]].sum(0) for fs in featurizer(text, w)])
        np.testing.assert_allclose(alone, want, rtol=0, atol=1e-9)


def test_word_table_gives_each_word_the_rows_of_its_feature_strings():
    """A word's rows come from the compiled word table: those of its "w=", "pw=", "nw=" strings,
    its lexicon tag, whether it is a person-context word; any other word (one the model never
    saw, one longer than the table holds) gets the zero row, and so do the words of a batch
    whatever else is in it."""
    model = crfvec.compile_model(MODEL)
    assert model is not None
    _, attrs, _ = crfvec.read_model(MODEL)
    z = model.zero
    lexicon = crf.lexicon()
    model_words = sorted({a.partition("=")[2] for a in attrs if a.startswith(("w=", "pw=", "nw="))})
    tagged = sorted(w for w, t in lexicon.items() if t in model.wt_tags)
    words = model_words[:200] + tagged[:200] + sorted(crf.PERSON_CONTEXT) + ["从未见过的词", "一二三四五六七", "ＱＱ"]
    codes = np.array([ord(c) for c in "".join(words)], dtype=np.int64)
    ends = np.cumsum([len(w) for w in words])
    ids = np.empty(len(words), dtype=np.int64)
    t = model.words
    crfvec._find_words(t.k1, t.k2, t.value, t.shift, codes, ends - [len(w) for w in words], ends, ids)
    for w, i in zip(words, ids.tolist()):
        want = (model.row.get("w=" + w, z), model.row.get("pw=" + w, z), model.row.get("nw=" + w, z),
                model.wt_tags.get(lexicon.get(w, ""), 0), int(w in crf.PERSON_CONTEXT))
        assert tuple(model.word_rows[i].tolist()) == want, w
    assert ids[-2] == 0 and ids[-3] == 0  # longer than six characters; never seen
    assert len(set(ids[:200].tolist())) == 200  # each model word its own row


def test_lexicon_table_marks_words_and_the_beginnings_of_longer_words():
    table = crfvec.lexicon_table({"中国": "ns", "中国银行": "nt", "银行家": "nr"}, ["nr", "ns", "nt"])

    def value(s: str) -> int:
        codes = np.array([ord(c) for c in s], dtype=np.int64)
        return crfvec.find_string(table.k1, table.k2, table.value, table.shift, codes, 0, len(codes))

    assert value("中国") == 2 * (1 + 1) + 1  # a word (ns) that begins 中国银行
    assert value("中国银") == 1  # only the beginning of a word
    assert value("中国银行") == 2 * (2 + 1)  # a word, the beginning of none
    assert value("银行") == 1 and value("银行家") == 2 * (0 + 1)
    assert value("国银") == -1  # neither: the compiled pass stops lengthening here
