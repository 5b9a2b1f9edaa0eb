"""Coreference: anaphors become mentions of their antecedent (kg.nlp.coref), in both scripts."""

from __future__ import annotations

import pytest

from kg.api import Options, extract_records
from kg.model import Document, Mention
from kg.nlp import coref
from kg.text import analysis_view


def _m(view: str, name: str, typ: str, nth: int = 0) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = view.index(name, start + 1)
    return Mention(start, start + len(name), name, typ, name, "test")


def _tokens(view: str, words: list[str]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for w in words:
        pos = view.index(w, pos)
        out.append((pos, pos + len(w)))
        pos += len(w)
    return out


def _resolved(view, words, mentions):
    return {(m.text, m.canonical) for m in coref.resolve(view, _tokens(view, words), mentions, view)
            if m.source == "coref"}


def test_subject_of_the_previous_clause_wins_over_a_nearer_object():
    view = "OpenAI表示，Sora建立在GPT模型的研究之上。它采用了新技术。"
    words = ["OpenAI", "表示", "，", "Sora", "建立", "在", "GPT", "模型", "的", "研究", "之上", "。", "它", "采用",
             "了", "新", "技术", "。"]
    ms = [_m(view, "OpenAI", "COMPANY"), _m(view, "Sora", "PRODUCT"), _m(view, "GPT", "PRODUCT")]
    assert _resolved(view, words, ms) == {("它", "Sora")}


def test_chains_stay_on_one_entity_and_modifiers_are_passed_over():
    view = "Sora很强。它采用了DALL·E 3的技术，能生成视频。该模型还能扩展视频。"
    words = ["Sora", "很", "强", "。", "它", "采用", "了", "DALL·E 3", "的", "技术", "，", "能", "生成", "视频", "。",
             "该", "模型", "还", "能", "扩展", "视频", "。"]
    ms = [_m(view, "Sora", "PRODUCT"), _m(view, "DALL·E 3", "PRODUCT")]
    assert _resolved(view, words, ms) == {("它", "Sora"), ("该模型", "Sora")}


def test_types_and_named_anaphors_must_fit():
    view = "李明加入了招商银行。该行表示，他将负责零售业务。"
    words = ["李明", "加入", "了", "招商银行", "。", "该行", "表示", "，", "他", "将", "负责", "零售", "业务", "。"]
    ms = [_m(view, "李明", "PERSON"), _m(view, "招商银行", "COMPANY")]
    assert _resolved(view, words, ms) == {("该行", "招商银行"), ("他", "李明")}
    # 该行 needs a bank: a company without 行 in its name is no antecedent
    ms = [_m(view, "李明", "PERSON"), Mention(5, 9, "招商证券", "COMPANY", "招商证券", "test")]
    assert ("该行", "招商证券") not in _resolved(view.replace("招商银行", "招商证券"), words[:3] + ["招商证券"] + words[4:], ms)


def test_word_boundaries_and_distance():
    view = "华为发布了新手机。该行动引起关注。"
    words = ["华为", "发布", "了", "新", "手机", "。", "该", "行动", "引起", "关注", "。"]
    assert _resolved(view, words, [_m(view, "华为", "COMPANY")]) == set()  # 该行动 is not 该行
    far = "华为发布了新手机。" + "天气很好。" * 50 + "该公司表示满意。"
    words = ["华为", "发布", "了", "新", "手机", "。"] + ["天气", "很", "好", "。"] * 50 + ["该公司", "表示", "满意", "。"]
    assert _resolved(far, words, [_m(far, "华为", "COMPANY")]) == set()  # beyond WINDOW
    # 其 inside a word (其中, 尤其) is not a pronoun: only a token of its own counts
    view = "华为发布了新手机，其中一款很贵。"
    words = ["华为", "发布", "了", "新", "手机", "，", "其中", "一款", "很", "贵", "。"]
    assert _resolved(view, words, [_m(view, "华为", "COMPANY")]) == set()


@pytest.mark.parametrize("text", ["腾讯控股公布了第三季度业绩。该公司表示，与京东的合作将继续深化。",
                                  "騰訊控股公佈了第三季度業績。該公司表示，與京東的合作將繼續深化。"])
def test_pipeline_attaches_the_anaphor_and_its_claim_to_the_antecedent(text):
    (rec,) = extract_records([Document(id="c", text=text)], Options())
    assert not [e for e in rec["entities"] if e["text"] in ("该公司", "該公司")]  # names only
    anaphor = next(e for e in rec["anaphors"] if e["text"] in ("该公司", "該公司"))
    antecedent = next(e for e in rec["entities"] if e["text"].startswith(("腾讯", "騰訊")))
    assert anaphor["entity"] == antecedent["entity"]
    said = [t for t in rec["triples"] if t["predicate"] in ("states", "predicts")]
    assert said and all(t["subject"]["text"] in ("该公司", "該公司") for t in said), rec["triples"]
    assert {t["subject"]["entity"] for t in said} == {antecedent["entity"]}


def test_sample_article_model_anaphors_resolve_to_sora():
    from importlib import resources

    from kg.nlp.pipeline import analyse, make_nlp

    sample = next((resources.files("kg") / "resources" / "sample").iterdir())
    text = sample.read_text(encoding="utf-8")
    (analysis,) = analyse(make_nlp(), [Document(id="s", text=text)])
    got = {(m.text, m.canonical) for m in analysis.mentions if m.source == "coref" and m.text in ("該模型", "它")}
    assert got == {("該模型", "Sora"), ("它", "Sora")}, got
    assert analysis_view(text) == analysis.view


def test_a_bare_company_noun_tagged_as_a_name_takes_the_antecedents_identity():
    view = "腾讯控股公布了业绩。公司表示将加大投入，子公司也将跟进。"
    words = ["腾讯控股", "公布", "了", "业绩", "。", "公司", "表示", "将", "加大", "投入", "，", "子公司", "也", "将",
             "跟进", "。"]
    ms = [_m(view, "腾讯控股", "COMPANY"), Mention(10, 12, "公司", "COMPANY", "公司", "crf"),
          Mention(21, 24, "子公司", "COMPANY", "子公司", "crf")]
    got = {(m.text, m.source, m.canonical) for m in coref.resolve(view, _tokens(view, words), ms, view)}
    assert ("公司", "crf+coref", "腾讯控股") in got  # keeps its span (Resume annotates it), not its name
    assert ("子公司", "crf", None) in got  # names no particular company: left as recognised
    alone = "公司表示将加大投入。"
    lone = [Mention(0, 2, "公司", "COMPANY", "公司", "crf")]
    assert coref.resolve(alone, _tokens(alone, ["公司", "表示", "将", "加大", "投入", "。"]), lone, alone) == tuple(lone)


def test_resolved_company_nouns_give_no_label():
    from kg.resolve import Resolver

    r = Resolver()
    r.add(Mention(0, 4, "腾讯控股", "COMPANY", "腾讯控股", "crf"), "d", "zh-Hans")
    r.add(Mention(10, 12, "公司", "COMPANY", "公司", "crf+coref", canonical="腾讯控股"), "d", "zh-Hans")
    (entity,) = {id(e): e for e in r.entities().values()}.values()
    assert set(entity.surfaces["zh-Hans"]) == {"腾讯控股"}


def test_no_fact_is_about_a_subsidiary_in_general():
    from kg.extract.base import run_extractors
    from kg.nlp.pipeline import Analysis

    text = "腾讯控股旗下子公司收购了星河科技。"
    ms = (Mention(0, 4, "腾讯控股", "COMPANY", "腾讯控股", "lexicon"), Mention(6, 9, "子公司", "COMPANY", "子公司", "crf"),
          Mention(12, 16, "星河科技", "COMPANY", "星河科技", "hint"))
    from kg.model import Document, Sentence

    analysis = Analysis(Document(id="s", text=text), "zh-Hans", text, (Sentence(0, len(text), text),),
                        tuple(_tokens(text, ["腾讯控股", "旗下", "子公司", "收购", "了", "星河科技", "。"])), ms)
    def about_subsidiary(facts):
        return [f for f in facts if "子公司" in (f.subject.text, getattr(f.obj, "text", ""))]

    assert not about_subsidiary(run_extractors(analysis))
    # the same mention from the lexicon (a user's choice) is a name like any other
    named = Analysis(analysis.document, analysis.script, text, analysis.sentences, analysis.tokens,
                     (ms[0], Mention(6, 9, "子公司", "COMPANY", "子公司", "lexicon"), ms[2]))
    assert about_subsidiary(run_extractors(named))


def test_a_recognised_nominal_anaphor_is_resolved_once():
    view = "腾讯控股公布了业绩。该集团表示将加大投入。"
    words = ["腾讯控股", "公布", "了", "业绩", "。", "该集团", "表示", "将", "加大", "投入", "。"]
    ms = [_m(view, "腾讯控股", "COMPANY"), Mention(10, 13, "该集团", "COMPANY", "该集团", "crf")]
    got = coref.resolve(view, _tokens(view, words), ms, view)
    assert [(m.text, m.source, m.canonical) for m in got] == [("腾讯控股", "test", None), ("该集团", "crf+coref", "腾讯控股")]

