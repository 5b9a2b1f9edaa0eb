"""Table-driven tests for the extractors, via ``kg.extract`` (the ``kg extract`` records).

Every sentence here was written for these tests (none comes from the shipped sample),
and every case runs twice: on the Simplified sentence and on its Traditional
conversion (``kg.text.to_traditional``, character-aligned, so offsets carry over).
Names such as 星河科技, 蓝海集团, 华辰资本, 陈思远 and 张明远 are made up and are not in the
lexicon: they check that the rules are general.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
from kg.extract import run_extractors
from kg.model import Document
from kg.nlp.pipeline import analyse, make_nlp
from kg.sources import read_documents
from kg.text import to_traditional

pytestmark = pytest.mark.usefixtures("nlp")


# ---------------------------------------------------------------- helpers


def variant(text: str, script: str) -> str:
    return to_traditional(text) if script == "zh-Hant" else text


def record(text: str | Document) -> dict:
    (rec,) = kg.extract([text], use_crf=False)
    return rec


def triples(rec: dict, predicate: str | None = None) -> list[dict]:
    return [t for t in rec["triples"] if predicate is None or t["predicate"] == predicate]


def obj_key(obj: dict):
    """A script-independent key for a triple's object."""
    if "start" in obj:  # an entity span
        return obj["entity"]
    if "unit" in obj:  # a quantity
        return ("quantity", obj["value"], obj["of"]["entity"] if obj["of"] else None)
    return ("literal", obj["value"])  # a stock code


def keys(rec: dict) -> set[tuple]:
    return {(t["predicate"], t["subject"]["entity"], obj_key(t["object"])) for t in rec["triples"]}


def pairs(rec: dict, predicate: str) -> set[tuple[str, str]]:
    return {(t["subject"]["entity"], obj_key(t["object"])) for t in triples(rec, predicate)}


# ---------------------------------------------------------------- released

RELEASED = [
    ("百度于3月16日发布了文心一言。", {("百度", "文心一言")}),
    ("OpenAI先后推出了ChatGPT和GPT-4o。", {("OpenAI", "ChatGPT"), ("OpenAI", "GPT-4o")}),
    ("华为在开发者大会上发布了鸿蒙。", {("华为", "鸿蒙")}),
    pytest.param(
        "华为在上海发布会上推出了鸿蒙和昇腾两款产品。",
        {("华为", "鸿蒙"), ("华为", "昇腾")},
    ),
    ("阿里巴巴正式开源了通义千问。", {("阿里巴巴", "通义千问")}),
    ("字节跳动上线了豆包。", {("字节跳动", "豆包")}),
    # canonical subject (小米集团 -> 小米); an unknown product name in quotes after a cue
    ("小米集团于8月发布了新款手机“澎湃S2”。", {("小米", "澎湃S2")}),
    ("星河科技推出了大模型“天穹”。", {("星河科技", "天穹")}),
]


@pytest.mark.parametrize(("text", "expected"), RELEASED)
def test_released(text, expected, script):
    rec = record(variant(text, script))
    assert pairs(rec, "released") == expected
    for t in triples(rec, "released"):
        assert t["extractor"] == "release.v1"
        assert t["modality"] == "asserted"
        assert t["object"]["type"] == "PRODUCT"


@pytest.mark.parametrize(
    ("text", "expected", "modality"),
    [
        ("百度计划下月推出文心一言。", ("百度", "文心一言"), "hedged"),
        ("苹果公司没有发布Vision Pro。", ("苹果公司", "Vision Pro"), "negated"),
    ],
)
def test_released_modality(text, expected, modality, script):
    rec = record(variant(text, script))
    (t,) = triples(rec, "released")
    assert (t["subject"]["entity"], t["object"]["entity"]) == expected
    assert t["modality"] == modality
    assert t["confidence"] < 0.85  # hedged and negated facts count for less


# ---------------------------------------------------------------- attribution

ATTRIBUTION = [
    # (text, predicate, speaker, topic, claim, modality)
    ("中信证券认为，明年芯片需求将持续增长。", "predicts", "中信证券", "芯片需求", "明年芯片需求将持续增长", "asserted"),
    ("中信证券认为，明年芯片需求可能持续增长。", "predicts", "中信证券", "芯片需求", "明年芯片需求可能持续增长", "hedged"),
    ("天风证券认为，下半年光模块需求可能进一步回暖。", "predicts", "天风证券", "光模块需求", "下半年光模块需求可能进一步回暖", "hedged"),
    ("国泰君安预测，明年算力需求有望翻倍。", "predicts", "国泰君安", "算力需求", "明年算力需求有望翻倍", "hedged"),
    ("海通证券表示，人工智能行业有望迎来爆发。", "predicts", "海通证券", "人工智能", "人工智能行业有望迎来爆发", "hedged"),
    ("华泰证券指出，今年半导体行业景气度较高。", "states", "华泰证券", "半导体", "今年半导体行业景气度较高", "asserted"),
    ("中金公司认为，人工智能不会取代程序员。", "predicts", "中金公司", "人工智能", "人工智能不会取代程序员", "negated"),
    # a made-up company and person: the speaker is the person, not the company
    ("星河科技董事长陈思远认为，生成式AI将重塑软件行业。", "predicts", "陈思远", "生成式AI", "生成式AI将重塑软件行业", "asserted"),
]


@pytest.mark.parametrize(("text", "predicate", "speaker", "topic", "claim", "modality"), ATTRIBUTION)
def test_attribution(text, predicate, speaker, topic, claim, modality, script):
    source = variant(text, script)
    rec = record(source)
    found = [t for t in rec["triples"] if t["extractor"] == "attribution.v1"]
    assert {(t["predicate"], t["subject"]["entity"], t["object"]["entity"]) for t in found} == {
        (predicate, speaker, topic)
    }
    (t,) = found
    # the claim is kept, in the script of the input, and is a substring of it
    assert t["claim"] == variant(claim, script)
    assert t["claim"] in source
    assert t["modality"] == modality


def test_claim_without_topic_entity_is_kept_as_statement(script):
    """招商银行称，零售业务保持稳健: no topic entity, so no triple in the records,
    but the attribution fact (speaker, claim) is still produced."""
    text = variant("招商银行称，零售业务保持稳健。", script)
    assert triples(record(text)) == []
    (analysis,) = analyse(make_nlp((), False), [Document(id="d", text=text)])
    facts = [f for f in run_extractors(analysis, ("attribution.v1",))]
    assert [(f.subject.text, f.predicate, f.obj, f.claim) for f in facts] == [
        (text[:4], "states", text[6:-1], text[6:-1])
    ]


# ---------------------------------------------------------------- owns / hasQuantity

OWNS = [
    # (text, owner, [(value, of, approximate, at_least, more_than)])
    ("腾讯目前拥有3000多家门店。", "腾讯", [("3000", "门店", True, True, False)]),
    ("星河科技拥有1.2万个基站。", "星河科技", [("12000", "基站", False, False, False)]),
    ("星河科技拥有五百台服务器。", "星河科技", [("500", "服务器", False, False, False)]),
    ("中国移动拥有超过190万个5G基站。", "中国移动", [("1900000", "5G基站", False, False, True)]),
    ("中国移动拥有约190万个5G基站。", "中国移动", [("1900000", "5G基站", True, False, False)]),
    ("宁德时代拥有12座工厂。", "宁德时代", [("12", "工厂", False, False, False)]),
    (
        "星河科技目前运营着七百个数据中心和2.5万个机架。",
        "星河科技",
        [("700", "数据中心", False, False, False), ("25000", "IDC机架", False, False, False)],
    ),
    (
        "截至6月底，星河科技共有2000多名员工、30个研发中心和5座工厂。",
        "星河科技",
        [
            ("2000", "员工", True, True, False),
            ("30", "研发中心", False, False, False),
            ("5", "工厂", False, False, False),
        ],
    ),
    pytest.param(
        "中国移动现有5G基站约190万个。",
        "中国移动",
        [("1900000", "5G基站", True, False, False)],
    ),
]


@pytest.mark.parametrize(("text", "owner", "expected"), OWNS)
def test_owns(text, owner, expected, script):
    source = variant(text, script)
    rec = record(source)
    found = triples(rec, "owns")
    assert {t["subject"]["entity"] for t in found} == {owner}
    got = [
        (
            t["object"]["value"],
            t["object"]["of"]["entity"] if t["object"]["of"] else None,
            t["object"]["approximate"],
            t["object"]["at_least"],
            t["object"]["more_than"],
        )
        for t in found
    ]
    assert got == expected
    for t in found:
        # the quantity text is the number with its classifier, in the input script
        assert t["object"]["text"] in source
        assert t["object"]["unit"] in t["object"]["text"]


MEASURES = [
    # (text, subject, value, unit, of, modality)
    ("中国电信的总算力规模预计将达到8.5Eflops。", "中国电信", "8.5", "EFLOPS", "总算力规模", "hedged"),
    ("星河科技的研发投入达到12.5亿元。", "星河科技", "1250000000", "元", "研发投入", "asserted"),
    ("京东的年营收达到1.1万亿元。", "京东", "1100000000000", "元", "年营收", "asserted"),
    pytest.param(
        "京东去年的营业收入达到1.08万亿元。", "京东", "1080000000000", "元", "营业收入", "asserted",
    ),
]


@pytest.mark.parametrize(("text", "subject", "value", "unit", "of", "modality"), MEASURES)
def test_has_quantity(text, subject, value, unit, of, modality, script):
    rec = record(variant(text, script))
    (t,) = triples(rec, "hasQuantity")
    assert t["subject"]["entity"] == subject
    assert (t["object"]["value"], t["object"]["unit"], t["object"]["of"]["entity"]) == (value, unit, of)
    assert t["modality"] == modality
    assert Decimal(t["object"]["value"]) > 0


# ---------------------------------------------------------------- roles

ROLES = [
    (
        "小米集团创始人、董事长雷军表示，公司将加大研发投入。",
        {("founderOf", "雷军", "小米"), ("chairmanOf", "雷军", "小米")},
    ),
    (
        "蓝海集团创始人、董事长兼首席执行官陈思远透露，公司将在香港上市。",
        {("founderOf", "陈思远", "蓝海集团"), ("chairmanOf", "陈思远", "蓝海集团"), ("ceoOf", "陈思远", "蓝海集团")},
    ),
    ("蓝海集团首席执行官陈思远透露，公司将于明年推出自动驾驶芯片。", {("ceoOf", "陈思远", "蓝海集团")}),
    ("星河科技董事长陈思远认为，生成式AI将重塑软件行业。", {("chairmanOf", "陈思远", "星河科技")}),
    ("星河科技副总裁陈思远表示，公司将加快海外布局。", {("holdsPosition", "陈思远", "星河科技")}),
    pytest.param(
        "星河科技创始人、首席执行官张明远表示，公司今年将推出新产品。",
        {("founderOf", "张明远", "星河科技"), ("ceoOf", "张明远", "星河科技")},
    ),
    pytest.param(
        "华辰资本董事长王立新指出，经济将温和复苏。",
        {("chairmanOf", "王立新", "华辰资本")},
    ),
]


@pytest.mark.parametrize(("text", "expected"), ROLES)
def test_roles(text, expected, script):
    rec = record(variant(text, script))
    found = {(t["predicate"], t["subject"]["entity"], t["object"]["entity"]) for t in rec["triples"]
             if t["extractor"] == "role.v1"}
    assert found == expected
    for t in rec["triples"]:
        if t["extractor"] == "role.v1":
            assert t["subject"]["type"] == "PERSON"
            assert t["object"]["type"] in ("COMPANY", "ORG", "GOV")


# ---------------------------------------------------------------- stock codes

STOCK = [
    ("腾讯控股(00700)今日股价上涨。", "腾讯", "00700"),
    ("贵州茅台(600519.SH)发布年报。", "贵州茅台", "600519.SH"),
    ("平安银行(SZ000001)股价下跌。", "平安银行", "000001.SZ"),
    ("平安银行（000001.SZ）公布了年报。", "平安银行", "000001.SZ"),
    ("宁德时代(300750.SZ)股价下跌。", "宁德时代", "300750.SZ"),
    ("中芯国际（HK00981）盘中上涨。", "中芯国际", "00981.HK"),
    ("星河科技（SH688888）今日上市。", "星河科技", "688888.SH"),
    ("星河科技(688999)股价大涨。", "星河科技", "688999"),
    ("小米集团（港股：01810）发布了2024年第二季度业绩。", "小米", "01810"),
    # words before the name are not part of it (华辰电讯 is not in the lexicon and has no suffix)
    ("分析师建议关注华辰电讯(600888)的投资机会。", "华辰电讯", "600888"),
    ("相关概念股华辰电讯(600888)今日涨停。", "华辰电讯", "600888"),
]


@pytest.mark.parametrize(("text", "company", "code"), STOCK)
def test_stock_code(text, company, code, script):
    source = variant(text, script)
    rec = record(source)
    (t,) = triples(rec, "hasStockCode")
    assert t["subject"]["entity"] == company
    assert t["object"] == {"value": code}
    # the code itself is a STOCK mention right inside the brackets
    (stock,) = [e for e in rec["entities"] if e["type"] == "STOCK"]
    assert source[stock["start"] - 1] in "(（：" and source[stock["end"]] in ")）"


# ---------------------------------------------------------------- negatives

NO_TRIPLES = [
    "微软昨日发布了一份财报。",  # release verb, no product
    "华为的新品发布会将于下月举行。",  # 发布会 is an event, nothing released
    "苹果公司宣布将在秋季举行发布会。",
    "小米否认将推出新款手机。",  # no named product
    "腾讯拥有强大的技术团队。",  # own verb, no quantity
    "星河科技在公告中说明，本次交易不构成重大资产重组。",  # 说明 is not a speech verb
    "这种技术被称为人工智能。",  # 称为 without an agent
    "比亚迪去年销售了300万辆新能源汽车。",  # selling is not owning
    pytest.param(
        "星河科技被外界称为人工智能独角兽。",
    ),
    pytest.param(
        "华为把这款芯片称为昇腾。",
    ),
    pytest.param(
        "星河科技被业内称作算力黑马。",
    ),
    pytest.param(
        "星河科技发布了《算力发展白皮书(2024)》。",
    ),
]


@pytest.mark.parametrize("text", NO_TRIPLES)
def test_no_triples(text, script):
    rec = record(variant(text, script))
    assert [(t["subject"]["text"], t["predicate"], obj_key(t["object"])) for t in rec["triples"]] == []


# ---------------------------------------------------------------- offsets and scripts

#: Sentences and small documents whose offsets and script-independence are checked.
CORPUS = [
    *(c[0] for c in RELEASED if not hasattr(c, "marks")),
    "华为在上海发布会上推出了鸿蒙和昇腾两款产品。",
    "百度计划下月推出文心一言。",
    "苹果公司没有发布Vision Pro。",
    *(c[0] for c in ATTRIBUTION),
    *(c[0] for c in OWNS if not hasattr(c, "marks")),
    *(c[0] for c in MEASURES if not hasattr(c, "marks")),
    *(c[0] for c in ROLES if not hasattr(c, "marks")),
    *(c[0] for c in STOCK),
    "英伟达预计，明年数据中心收入将超过1000亿美元。",
    # several sentences, line breaks, indentation, full-width letters and digits
    "腾讯控股(00700)今日股价上涨，百度于3月16日发布了文心一言。\n\n  中信证券认为，明年芯片需求将持续增长。",
    "ＯｐｅｎＡＩ于２月发布了Ｓｏｒａ。　星河科技拥有1.2万个基站。\r\n蓝海集团首席执行官陈思远透露：“公司将于明年推出自动驾驶芯片。”",
]


def _spans(rec: dict):
    for e in rec["entities"]:
        yield e
    for t in rec["triples"]:
        yield t["subject"]
        if "start" in t["object"]:
            yield t["object"]
        elif t["object"].get("of"):
            yield t["object"]["of"]


@pytest.mark.parametrize("text", CORPUS)
def test_offsets_slice_back(text, script):
    source = variant(text, script)
    rec = record(source)
    assert rec["entities"]
    for span in _spans(rec):
        assert source[span["start"] : span["end"]] == span["text"], span
    for t in rec["triples"]:
        s = t["sentence"]
        assert 0 <= s["start"] < s["end"] <= len(source)
        assert s["start"] <= t["subject"]["start"] < t["subject"]["end"] <= s["end"]
        if t.get("claim"):
            assert t["claim"] in source[s["start"] : s["end"]]


@pytest.mark.parametrize("text", CORPUS)
def test_traditional_gives_same_triples(text):
    assert keys(record(to_traditional(text))) == keys(record(text))


def test_entities_report_original_text_not_analysis_view():
    text = "ＯｐｅｎＡＩ於２月發佈了Ｓｏｒａ。"
    rec = record(text)
    (t,) = triples(rec, "released")
    assert (t["subject"]["text"], t["subject"]["entity"]) == ("ＯｐｅｎＡＩ", "OpenAI")
    assert (t["object"]["text"], t["object"]["entity"]) == ("Ｓｏｒａ", "Sora")
    assert (t["object"]["start"], t["object"]["end"]) == (12, 16)


# ---------------------------------------------------------------- entity hints (JSONL "entities")

HINTED = "据悉，某某公司XYZ近日发布了新款芯片“天穹一号”。某某公司XYZ拥有300多名员工。"


@pytest.mark.parametrize("name", ["某某公司XYZ", "华辰电讯XYZ"])
@pytest.mark.parametrize("hint_script", ["zh-Hans", "zh-Hant"])
def test_typed_hint_becomes_a_mention(name, script, hint_script):
    """The hint matches whichever script the hint and the text are written in."""
    text = variant(HINTED.replace("某某公司XYZ", name), script)
    surface = variant(name, script)
    hint = variant(name, hint_script)
    without = record(Document(id="h0", text=text))
    assert surface not in {e["text"] for e in without["entities"]}

    rec = record(Document(id="h1", text=text, hints=((hint, "COMPANY"),)))
    hinted = [e for e in rec["entities"] if e["text"] == surface]
    # every occurrence, with offsets into the original text
    assert [(e["start"], e["end"], e["type"]) for e in hinted] == [(3, 10, "COMPANY"), (26, 33, "COMPANY")]
    assert pairs(rec, "released") == {(name, "天穹一号")}
    assert {(t["subject"]["start"], t["object"]["value"]) for t in triples(rec, "owns")} == {(26, "300")}


def test_untyped_hint_is_a_mention(script):
    text = variant(HINTED, script)
    rec = record(Document(id="h2", text=text, hints=(("某某公司XYZ", None),)))
    assert [(e["start"], e["end"]) for e in rec["entities"] if e["text"] == "某某公司XYZ"] == [(3, 10), (26, 33)]


def test_untyped_hint_with_company_word_is_an_agent(script):
    text = variant(HINTED, script)
    rec = record(Document(id="h3", text=text, hints=(("某某公司XYZ", None),)))
    assert {e["type"] for e in rec["entities"] if e["text"] == "某某公司XYZ"} == {"COMPANY"}
    assert {t["predicate"] for t in rec["triples"]} == {"released", "owns"}


def test_jsonl_entities_are_hints(tmp_path, script):
    path = tmp_path / "news.jsonl"
    lines = [
        {"id": "n1", "text": variant(HINTED, script), "entities": [{"text": "某某公司XYZ", "type": "COMPANY"}]},
        {"id": "n2", "text": variant(HINTED, script)},
    ]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    docs = list(read_documents([path]))
    assert [d.hints for d in docs] == [(("某某公司XYZ", "COMPANY"),), ()]
    with_hint, without = kg.extract(docs, use_crf=False)
    assert "某某公司XYZ" in {e["text"] for e in with_hint["entities"]}
    assert "某某公司XYZ" not in {e["text"] for e in without["entities"]}
    for rec, doc in ((with_hint, docs[0]), (without, docs[1])):
        for span in _spans(rec):
            assert doc.text[span["start"] : span["end"]] == span["text"]



def test_sentence_views_are_made_once_per_document():
    from kg.extract.base import sentence_views, sentences

    nlp = make_nlp()
    (analysis,) = analyse(nlp, [Document("d", "腾讯公司发布了新模型。今天下雨。阿里巴巴集团投资了星河科技。")])
    views = sentence_views(analysis)
    assert sentence_views(analysis) is views  # every extractor walks the same views
    assert [v.sentence for v in views] == list(analysis.sentences)
    assert [v.view for v in views] == [analysis.view[s.start:s.end] for s in analysis.sentences]
    assert list(sentences(analysis)) == [v for v in views if v.mentions]
    assert 0 < len(list(sentences(analysis))) < len(views)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["控股", "参", "股东", "子公司", "收购", "发", "布", "全资拥有", "出售", "所持", "给", "公司", "，"]),
                max_size=8))
def test_one_scan_finds_a_trigger_exactly_when_some_trigger_matches(parts):
    from kg.extract.relations import TRIGGERS, _any_trigger

    text = "".join(parts)
    for triggers in (TRIGGERS[:1], TRIGGERS[1:], TRIGGERS):
        assert bool(_any_trigger(triggers).search(text)) == any(t.pattern.search(text) for t in triggers), text


def test_the_recogniser_sets_doc_ents_unless_analyse_asks_it_not_to():
    """``nlp(text)`` gives spaCy's ``doc.ents`` (displaCy, spaCy tooling); :func:`analyse`, which
    drops its Docs, asks the recogniser to skip them and gets the same mentions."""
    from kg.nlp.pipeline import _NO_ENTS

    nlp = make_nlp((), False)
    text = "中国电信发布了新产品，腾讯控股持有其5%股份。"
    doc = nlp(text)
    assert [(e.start_char, e.end_char) for e in doc.ents] == [(c.start, c.end) for c in doc._.kg_mentions
                                                              if doc.char_span(c.start, c.end) is not None]
    assert len(doc.ents) >= 2
    (bare,) = nlp.pipe([text], component_cfg=_NO_ENTS)
    assert bare.ents == () and bare._.kg_mentions == doc._.kg_mentions
    (analysis,) = analyse(nlp, [Document(id="d", text=text)])
    assert [(m.start, m.end) for m in analysis.mentions] == [(c.start, c.end) for c in doc._.kg_mentions]
