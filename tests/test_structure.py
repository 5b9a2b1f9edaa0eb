"""Ownership, profile, rivalry and branch extractors on sentences written for the purpose."""

from __future__ import annotations

import pytest

import kg
from kg.model import Document
from kg.text import to_traditional


def facts(text: str, hints=()) -> set[tuple[str, str, str]]:
    doc = Document(id="t", text=text, hints=tuple((h, None) for h in hints))
    record = kg.extract([doc], use_crf=False)[0]
    out = set()
    for t in record["triples"]:
        obj = t["object"].get("text", t["object"].get("value"))
        out.add((t["subject"]["text"], t["predicate"], obj))
    return out


CASES = [
    ("星河集团旗下的华辰科技有限公司今日发布公告。", ("星河集团", "华辰科技有限公司"),
     {("星河集团", "owns", "华辰科技有限公司"), ("华辰科技有限公司", "subsidiaryOf", "星河集团")}),
    ("蓝海股份的控股股东蓝海集团表示将继续增持。", ("蓝海股份", "蓝海集团"),
     {("蓝海集团", "owns", "蓝海股份"), ("蓝海股份", "subsidiaryOf", "蓝海集团")}),
    ("华辰电讯第二大股东星河投资近日减持。", ("华辰电讯", "星河投资"), {("星河投资", "holdsSharesIn", "华辰电讯")}),
    ("星河资本拟以20亿元收购华辰电讯。", ("星河资本", "华辰电讯"), {("星河资本", "plansToAcquire", "华辰电讯")}),
    ("蓝海科技有限公司于2015年3月2日在杭州市市场监督管理局登记成立。", ("蓝海科技有限公司",),
     {("蓝海科技有限公司", "foundedOn", "2015年3月2日")}),
    ("华辰电讯股份有限公司（以下简称“华辰电讯”）发布年报。", ("华辰电讯股份有限公司",),
     {("华辰电讯股份有限公司", "shortName", "华辰电讯")}),
    ("哥伦比亚广播公司(CBS)今日宣布新节目。", ("哥伦比亚广播公司",), {("哥伦比亚广播公司", "shortName", "CBS")}),
    ("他考上了北京大学（北大）经济系。", ("北京大学",), {("北京大学", "shortName", "北大")}),
    ("中国登山协会简称\"中国登协\"，成立于1958年。", ("中国登山协会",), {("中国登山协会", "shortName", "中国登协")}),
    ("星河移动测试中心简称XTC，提供测试服务。", ("星河移动测试中心",), {("星河移动测试中心", "shortName", "XTC")}),
    ("蓝海科技有限公司注册资本为5000万元。", ("蓝海科技有限公司",), {("蓝海科技有限公司", "registeredCapital", "5000万元")}),
    ("张华和李明、王强共同创办了星河科技有限公司。", ("张华", "李明", "王强", "星河科技有限公司"),
     {("张华", "founderOf", "星河科技有限公司"), ("李明", "founderOf", "星河科技有限公司"),
      ("王强", "founderOf", "星河科技有限公司")}),
    ("Sora由OpenAI发布。", (), {("OpenAI", "released", "Sora")}),
    ("优酷土豆被阿里巴巴收购。", ("优酷土豆", "阿里巴巴"), {("阿里巴巴", "acquires", "优酷土豆")}),
    ("星河科技获腾讯投资。", ("星河科技", "腾讯"), {("腾讯", "investsIn", "星河科技")}),
    ("腾讯、阿里巴巴和京东均宣布投资星河科技。", ("腾讯", "阿里巴巴", "京东", "星河科技"),
     {("腾讯", "investsIn", "星河科技"), ("阿里巴巴", "investsIn", "星河科技"), ("京东", "investsIn", "星河科技")}),
    ("华为与中国移动、中国电信签署了合作协议。", (),
     {("华为", "signsWith", "中国移动"), ("华为", "signsWith", "中国电信")}),
    ("与老对手星河电器相比，华辰家电的市场份额仍然较低。", ("星河电器", "华辰家电"), {("星河电器", "competesWith", "华辰家电")}),
    ("星河地产已与华辰银行签订战略合作框架协议。", ("星河地产", "华辰银行"),
     {("星河地产", "signsWith", "华辰银行"), ("星河地产", "cooperatesWith", "华辰银行")}),
]


@pytest.mark.parametrize(("text", "hints", "expected"), CASES)
@pytest.mark.parametrize("script", ["zh-Hans", "zh-Hant"])
def test_structure_facts(text, hints, expected, script):
    if script == "zh-Hant":
        text, hints = to_traditional(text), tuple(to_traditional(h) for h in hints)
        expected = {tuple(to_traditional(x) for x in triple) for triple in expected}
    assert expected <= facts(text, hints)


def test_negated_acquisition_is_reported_as_negated():
    doc = Document(id="t", text="星河集团放弃收购华辰电讯。", hints=(("星河集团", None), ("华辰电讯", None)))
    triples = [t for t in kg.extract([doc], use_crf=False)[0]["triples"] if t["predicate"] == "acquires"]
    assert [t["modality"] for t in triples] == ["negated"]


def test_legal_form_variants_are_not_branches():
    text = "五粮液与五粮液集团有限公司、星河与星河商管公司同时公告。"
    got = facts(text, ("五粮液", "五粮液集团有限公司", "星河", "星河商管公司"))
    assert ("星河", "owns", "星河商管公司") in got
    assert ("五粮液", "owns", "五粮液集团有限公司") not in got


def test_negated_relation_is_not_asserted_in_the_graph():
    g = kg.build([Document(id="n", text="星河集团放弃收购华辰电讯。星河集团推出了大模型“天穹”。")], use_crf=False)
    predicates = {str(r.p).rsplit("#", 1)[-1] for r in g.query("SELECT ?p WHERE { ?a a kg:Assertion ; rdf:predicate ?p }")}
    assert "released" in predicates and "acquires" not in predicates


@pytest.mark.parametrize("text", ["北京大学（海淀校区）今日开学。", "华辰电讯(00728)今日公告。", "星河科技（北京）有限公司成立。"])
def test_brackets_that_are_not_short_names(text):
    assert not {f for f in facts(text, ("北京大学", "华辰电讯", "星河科技")) if f[1] == "shortName"}


def test_two_parties_joined_by_yu_are_not_a_list():
    got = facts("华为与中国移动签署了合作协议。")
    assert ("华为", "signsWith", "中国移动") in got
    assert not any(s == "中国移动" and o == "华为" for s, _, o in got if _ != "signsWith")


@pytest.mark.parametrize("text", ["华为与中国移动签署了合作协议。", "華為與中國移動簽署了合作協議。"])
def test_a_model_span_inside_a_lexicon_name_does_not_split_it(text):
    record = kg.extract([text])[0]  # CRF on: it tags 中国 as a place inside 中国移动
    assert {(e["text"], e["type"]) for e in record["entities"]} >= {(text[3:7], "COMPANY")}

