"""The trained relation pair classifier (pairs.v1): model file, features, facts in both scripts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kg.api import Options, extract_records
from kg.datasets import default_data_dir
from kg.extract import pairs
from kg.model import Document, Mention
from kg.resources import resource_path

ONLY = Options(extractors=("pairs.v1",))


def _triples(text: str, hints=(), options: Options = ONLY) -> set[tuple[str, str, str, str]]:
    (record,) = extract_records([Document(id="t", text=text, hints=hints)], options)
    return {(t["subject"]["text"], t["predicate"], t["object"]["text"], t.get("modality", ""))
            for t in record["triples"] if "text" in t["object"]}


def test_packaged_model_loads_offline_with_its_classes_and_threshold():
    model = pairs.load_model()
    assert model.meta["name"] == pairs.MODEL_NAME and model.meta["feature_version"] == pairs.FEATURE_VERSION
    assert {"NONE", "SAME", "acquires>", "acquires<", "cooperatesWith=", "chairmanOf<"} <= set(model.classes)
    assert model.weights.shape == (len(model.index), len(model.classes))
    assert 0.0 < model.thresholds["*"] < 1.0
    p = model.probabilities(["T:ORG|ORG", "mw:收购"])
    assert p.shape == (len(model.classes),) and abs(float(p.sum()) - 1.0) < 1e-5


def test_save_and_read_round_trip(tmp_path):
    model = pairs.PairModel(("NONE", "acquires>"), {"a": 0, "b": 1}, np.array([[0.5, -1], [0, 2]], np.float32),
                            np.zeros(2, np.float32), {"*": 0.4}, {"name": "x"})
    model.save(tmp_path / "m.npz")
    back = pairs.PairModel.read(tmp_path / "m.npz")
    assert back.classes == model.classes and back.index == model.index and back.thresholds == {"*": 0.4}
    assert np.allclose(back.probabilities(["b"]), model.probabilities(["b"]))
    assert int(np.argmax(back.probabilities(["b", "unseen"]))) == 1


def _m(text: str, start: int, typ: str) -> Mention:
    return Mention(start, start + len(text), text, typ, text, "test")


def test_features_describe_context_not_names():
    view = "腾讯宣布收购京东的股份"
    a, b = _m("腾讯", 0, "COMPANY"), _m("京东", 6, "COMPANY")
    tokens = [(0, 2), (2, 4), (4, 6), (6, 8), (8, 9), (9, 11)]
    f = pairs.pair_features(view, tokens, 0, len(view), a, b, 0)
    assert "T:ORG|ORG" in f and "mw:收购" in f and "mwl:收购" in f and "rw1:的" in f
    assert not any("腾讯" in x or "京东" in x for x in f)  # whole names never become features
    assert f == pairs.pair_features(view, tokens, 0, len(view), a, b, 0)


def test_candidate_pairs_need_an_agent_and_a_short_gap():
    ms = [_m("腾讯", 0, "COMPANY"), _m("北京", 3, "PLACE"), _m("2020年", 6, "DATE"), _m("京东", 100, "COMPANY")]
    got = [(a.text, b.text) for a, b, _ in pairs.candidate_pairs(ms)]
    assert got == [("腾讯", "北京"), ("腾讯", "2020年")]  # PLACE-DATE has no agent; 京东 is too far


@pytest.mark.parametrize("text", ["阿里巴巴集团今日宣布以45亿美元全资收购优酷土豆公司。",
                                  "阿里巴巴集團今日宣佈以45億美元全資收購優酷土豆公司。"])
def test_acquisition_in_both_scripts(text):
    got = {(s, p, o) for s, p, o, _ in _triples(text)}
    assert any(p == "acquires" and s.startswith("阿里巴巴") and o.startswith("优酷" if "优" in text else "優酷")
               for s, p, o in got), got


@pytest.mark.parametrize("text", ["腾讯与京东签署战略合作协议，双方将在电商领域展开合作。",
                                  "騰訊與京東簽署戰略合作協議，雙方將在電商領域展開合作。"])
def test_cooperation_is_symmetric_and_found_in_both_scripts(text):
    got = _triples(text)
    assert {p for _, p, _, _ in got} & {"cooperatesWith", "signsWith"}, got


def test_negated_relation_is_not_asserted():
    got = _triples("万科表示近期不会增持招商银行的股份。", hints=(("万科", "COMPANY"), ("招商银行", "COMPANY")))
    assert got and all(m == "negated" for *_, m in got), got


def test_hinted_pair_gets_a_relation_in_a_finre_style_sentence():
    text = "紫光集团是紫光古汉的第二大股东。"
    got = _triples(text, hints=(("紫光集团", None), ("紫光古汉", None)))
    assert ("紫光集团", "holdsSharesIn", "紫光古汉", "asserted") in got, got


@pytest.mark.skipif(not (default_data_dir() / "finre" / "valid.txt").is_file(), reason="shared data not present")
def test_finre_floor_with_the_classifier():
    """A regression floor well below the measured 48 micro F1 (docs/evaluation-relations.md)."""
    from kg.eval_re import evaluate_finre

    result = evaluate_finre(limit=200)
    assert result["scores"]["micro"]["f"] >= 0.35, result["scores"]["micro"]
    assert result["extractors"]["pairs.v1"] > 0


def test_rule_confidence_is_the_measured_precision(monkeypatch):
    from kg.extract import base
    from kg.model import Fact, Sentence

    table = {"_measurable": ["acquires", "owns"], "finance.v1": {"acquires": {"precision": 0.43}, "*": {"precision": 0.53}},
             "ownership.v1": {"owns": {"precision": 0.92}}}
    monkeypatch.setattr(base, "rule_precision", lambda: table)
    s = Sentence(0, 4, "甲收购乙")
    a, b = _m("甲", 0, "COMPANY"), _m("乙", 3, "COMPANY")
    assert base.calibrated(Fact(a, "acquires", b, s, "finance.v1", 0.85, modality="asserted")).confidence == 0.43
    assert base.calibrated(Fact(a, "acquires", b, s, "finance.v1", 0.85, modality="negated")).confidence == 0.215
    assert base.calibrated(Fact(a, "owns", b, s, "finance.v1", 0.85, modality="hedged")).confidence == round(0.53 * 0.9, 3)
    assert base.calibrated(Fact(b, "subsidiaryOf", a, s, "ownership.v1", 0.75, modality="asserted")).confidence == 0.92
    unmeasured = Fact(a, "released", b, s, "release.v1", 0.85, modality="asserted")
    assert base.calibrated(unmeasured) is unmeasured
    assert base.calibrated(Fact(a, "states", b, s, "finance.v1", 0.7)).confidence == 0.7  # not measurable: as set


def test_shipped_precision_table_covers_the_finance_rules():
    from kg.extract.base import rule_precision

    table = rule_precision()
    assert "acquires" in table["_measurable"] and "released" not in table["_measurable"]
    assert 0.0 < table["finance.v1"]["*"]["precision"] < 1.0 and table["finance.v1"]["*"]["facts"] >= 50


def test_probabilities_of_a_batch_equal_one_by_one():
    model = pairs.load_model()
    batch = [["T:ORG|ORG", "mw:收购", "mw:收购"], [], ["unseen"], ["T:PERSON|ORG", "mwl:担任", "unseen"], ["mw:收购"]]
    together = model.probabilities_of_rows([model.rows(f) for f in batch])
    for features, row in zip(batch, together):
        alone = model.probabilities(features)
        assert np.array_equal(row, alone)
        rows = sorted({model.index[x] for x in features if x in model.index})  # the definition
        scores = model.bias + (model.weights[rows].sum(axis=0) if rows else 0.0)
        e = np.exp(scores - scores.max())
        assert np.allclose(row, e / e.sum(), rtol=1e-6, atol=1e-7)
    # a repeated feature counts once; no known feature leaves the bias alone
    assert np.array_equal(together[0], model.probabilities(["mw:收购", "T:ORG|ORG"]))
    assert np.array_equal(together[1], together[2])
    assert not np.array_equal(together[1], together[4])


def test_sentence_words_bisect_as_the_filters_did():
    view = "甲公司今天宣布收购乙公司的全部股份"
    tokens = [(0, 3), (3, 5), (5, 7), (7, 9), (9, 12), (12, 13), (13, 15), (15, 17)]
    words = pairs.SentenceWords(view, tokens)
    for start in range(len(view) + 1):
        for end in range(len(view) + 1):
            want = [view[s:e] for s, e in tokens if s >= start and e <= end]
            assert words.within(start, end) == want


def test_sentence_grams_give_the_rows_of_the_ngram_features():
    model = pairs.load_model()
    view = "甲公司收购乙公司，丙银行与丁集团合作。"
    grams = pairs.SentenceGrams(model, view, 0, len(view))

    def m(start, end):
        return Mention(start=start, end=end, text=view[start:end], type="COMPANY", norm=view[start:end], source="crf")

    def between(grams, a, b):  # the known rows of the n-grams between a and b
        found = []
        grams.extend_between(found, a, b)
        return set(found) - {-1}

    spans = [(0, 1), (0, 3), (1, 2), (2, 3), (3, 4), (5, 8), (6, 8), (9, 12), (13, 16), (17, 19), (18, 19)]
    for i, (s1, e1) in enumerate(spans):
        for s2, e2 in spans[i:]:
            a, b = m(s1, e1), m(s2, e2)
            full = pairs.pair_features(view, [(0, len(view))], 0, len(view), a, b, 0)
            rest = pairs.pair_features(view, [(0, len(view))], 0, len(view), a, b, 0, ngrams=False)
            want = {model.index[f] for f in full if f in model.index}
            others = {model.index[f] for f in rest if f in model.index}
            assert others | between(grams, a, b) == want, (a.text, b.text)
            if a.end >= 3 and b.start <= len(view) - 2:  # a stretch of the sentence that holds the gap
                inner = pairs.SentenceGrams(model, view, 3, len(view) - 2)
                assert others | between(inner, a, b) == want, (a.text, b.text)


def test_sentence_rows_are_the_rows_of_the_feature_strings():
    """SentenceRows (rows looked up once per word) gives the rows of pair_features' strings for
    every pair: at the sentence's ends (no words left or right), side by side (nothing between),
    with punctuation between, with more words left and right than the features take."""
    model = pairs.load_model()
    view = "据报道，中国电信与中国移动今天在北京宣布，双方将在上海、广州和深圳共同建设数据中心，华为公司提供设备。"
    tokens, pos = [], 0
    for w in ["据", "报道", "，", "中国电信", "与", "中国移动", "今天", "在", "北京", "宣布", "，", "双方", "将",
              "在", "上海", "、", "广州", "和", "深圳", "共同", "建设", "数据中心", "，", "华为公司", "提供", "设备", "。"]:
        tokens.append((pos, pos + len(w)))
        pos += len(w)
    assert pos == len(view)
    names = {"中国电信": "COMPANY", "中国移动": "COMPANY", "北京": "PLACE", "上海": "PLACE", "广州": "PLACE",
             "华为公司": "COMPANY", "据": "PERSON", "设备。": "PRODUCT"}
    mentions = sorted((Mention(start=view.index(n), end=view.index(n) + len(n), text=n, type=t, norm=n, source="crf")
                       for n, t in names.items()), key=lambda m: m.start)
    for lo, hi in ((0, len(view)), (4, 40)):  # the whole sentence, and a stretch of it
        rows = pairs.SentenceRows(model, view, [t for t in tokens if t[0] >= lo and t[1] <= hi], lo, hi)
        for i, a in enumerate(mentions):
            for between, b in enumerate(mentions[i + 1:]):
                want = model.rows(pairs.pair_features(view, [t for t in tokens if t[0] >= lo and t[1] <= hi],
                                                       lo, hi, a, b, between, ngrams=False))
                got = []
                rows.extend(got, a, b, between)
                assert set(got) - {-1} == want, (a.text, b.text, lo)


def test_a_sentence_s_rows_read_only_the_words_near_its_pairs():
    """_pair_rows builds its word rows over the words the pairs can read (a bag's worth around
    them), and still gives every pair the rows of all its feature strings."""
    from kg.extract.base import sentences
    from kg.nlp.pipeline import analyse, make_nlp

    text = ("据多家媒体今天上午在北京和上海两地同时发布的最新消息报道，中国电信与中国移动及华为公司宣布"
            "将在未来三年内于广州、深圳、杭州、成都和武汉等城市共同投资建设一批新的大型数据中心项目。")
    (analysis,) = analyse(make_nlp(), [Document("d", text)])
    model = pairs.load_model()
    checked = 0
    for view in sentences(analysis):
        flat, sizes = [-7], [1]  # appended to, after what is there
        candidates = pairs._pair_rows(model, view, flat, sizes)
        assert len(sizes) == len(candidates) + 1 and sum(sizes) == len(flat)
        s = view.sentence
        tokens = pairs.sentence_tokens(analysis, s.start, s.end)
        ends = np.cumsum(sizes)
        for (a, b, between), lo, hi in zip(candidates, ends[:-1], ends[1:]):
            want = model.rows(pairs.pair_features(analysis.view, tokens, s.start, s.end, a, b, between))
            assert set(flat[lo:hi]) - {-1} == want, (a.text, b.text)
            checked += 1
    assert checked >= 3


def test_only_pairs_some_class_could_relate_are_scored():
    model = pairs.load_model()
    # a company founded on a date, in either order; an organisation's registered capital
    assert {("COMPANY", "DATE"), ("DATE", "COMPANY"), ("ORG", "MONEY"), ("PERSON", "COMPANY")} <= model.possible
    # no class takes a person with a date, a place or an amount; an amount never comes first
    assert not {("PERSON", "DATE"), ("PLACE", "PERSON"), ("PERSON", "MONEY"), ("MONEY", "COMPANY")} & model.possible
    for ta, tb in model.possible:  # each one can be a fact in some direction
        a, b = Mention(0, 1, "x", ta, "x", "crf"), Mention(2, 3, "y", tb, "y", "crf")
        assert any(pairs._allowed(model.classes[k][:-1], *((b, a) if model.classes[k][-1] == "<" else (a, b)))
                   for k in model.relations)


def test_word_rows_are_the_rows_of_the_words_feature_strings():
    """A word's rows in the model's word table are those of its feature strings, one per family
    (-1 where the model has none): for words it knows, words it does not, and odd ones."""
    model = pairs.load_model()
    known = sorted({name.partition(":")[2] for name in model.index if name.partition(":")[0] in pairs._WORD_FAMILIES})
    words = [*known[::97], "中国电信", "宣布", "收购", "股份", "公司", "不在模型里的词", "a:b", ":", "", " "]
    for word in words:
        rows = model.word_table.get(word, pairs._UNKNOWN_WORD)
        assert rows == tuple(model.index.get(f"{family}:{word}", -1) for family in pairs._WORD_FAMILIES), word
    assert len(known) > 1000 and -1 not in model.word_table["宣布"]  # a word in every family


def _reference_probabilities(model, batch):
    """The definition in numpy: each set's rows gathered, summed, the bias added, softmax."""
    scores = np.array([model.bias + (model.weights[sorted(known)].sum(axis=0) if known else 0) for known in batch],
                      dtype=np.float32).reshape(len(batch), len(model.classes))
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@settings(max_examples=60, deadline=None)
@example(batch=[set(range(0, 2000, 9)), {5}, set()])  # a long set, one row, none
@given(st.lists(st.sets(st.integers(min_value=0, max_value=114_140), max_size=200), max_size=8))
def test_compiled_scores_are_the_summed_weights(batch):
    model = pairs.load_model()
    batch = [{r % len(model.index) for r in known} for known in batch]
    got = model.probabilities_of_rows(batch)
    assert got.shape == (len(batch), len(model.classes)) and got.dtype == np.float32
    np.testing.assert_allclose(got, _reference_probabilities(model, batch), rtol=1e-5, atol=1e-7)
    # what the extractor hands over: lists with repeated rows and -1 for unknown features, end to end
    repeated = [[-1, *known, *sorted(known)[:3], -1] for known in batch]
    flat = np.array([r for known in repeated for r in known], dtype=np.int64)
    assert np.array_equal(model.probabilities_of_flat(flat, np.array([len(k) for k in repeated], dtype=np.int64)), got)
    if batch:  # the pure-Python loop (the fallback without numba) is the same function, to the bit,
        sizes = np.array([len(k) for k in batch], dtype=np.int64)  # whatever order a set gives its rows in
        flat = np.array([r for k in batch for r in k], dtype=np.int64)
        backwards = np.array([r for k in batch for r in sorted(k, reverse=True)], dtype=np.int64)
        out, compiled = np.zeros((2, len(batch), len(model.classes)), np.float32)
        pairs._scores_py(model.weights, model.bias, flat, sizes, out)
        pairs._scores(model.weights, model.bias, backwards, sizes, compiled)
        assert np.array_equal(out, compiled)


def test_the_model_from_the_cache_is_the_model_in_the_file(tmp_path, monkeypatch):
    """load_model() keeps the model, its tables made, in kg's cache: what a later process loads
    from there is what reading the file gives."""
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    pairs.load_model.cache_clear()
    try:
        made = pairs.load_model()
        assert len(list(tmp_path.glob("re-pairs-model-*.pickle"))) == 1
        pairs.load_model.cache_clear()
        loaded = pairs.load_model()
    finally:
        pairs.load_model.cache_clear()
    assert loaded is not made
    path = resource_path("models", f"{pairs.MODEL_NAME}.npz")
    fresh = pairs.PairModel.read(path)  # its tables made here, not read from the cache
    for model in (made, loaded):
        assert (model.classes, model.index, model.thresholds, model.meta) == (fresh.classes, fresh.index, fresh.thresholds, fresh.meta)
        assert np.array_equal(model.weights, fresh.weights) and np.array_equal(model.bias, fresh.bias)
        assert model.word_table == fresh.word_table and model.possible == fresh.possible
        for key, value in vars(fresh.gram_table).items():
            assert np.array_equal(vars(model.gram_table)[key], value)
