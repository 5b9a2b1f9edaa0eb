"""Entity resolution: which mentions become one entity (one IRI) and which stay apart."""

from __future__ import annotations

import pytest
from rdflib.compare import isomorphic

import kg
from kg.model import Document, Mention
from kg.namespaces import KGR, RDF, SKOS
from kg.resolve import code_key, name_key
from kg.text import to_traditional


def entity_iris(texts: list[str], **options) -> dict[str, set[str]]:
    """IRI path -> every label / alias, for the name entities of a build."""
    g = kg.build([Document(id=f"d{i}", text=t) for i, t in enumerate(texts)], use_crf=False, **options)
    out: dict[str, set[str]] = {}
    for cls in kg.graph.CLASS_OF_TYPE.values():
        for node in g.rdf.subjects(RDF.type, cls):
            labels = {str(x) for p in (SKOS.prefLabel, SKOS.altLabel) for x in g.rdf.objects(node, p)}
            out[str(node)[len(str(KGR)) :]] = labels
    return out


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("0728.HK", "HK:00728"), ("00728", "HK:00728"), ("HK00728", "HK:00728"), ("09888", "HK:09888"),
        ("600519", "SH:600519"), ("600519.SH", "SH:600519"), ("SH600519", "SH:600519"), ("600519.SS", "SH:600519"),
        ("000001.SZ", "SZ:000001"), ("SZ000001", "SZ:000001"), ("300257", "SZ:300257"),
        ("BABA.N", "US:BABA"), ("AAPL.US", "US:AAPL"),
    ],
)
def test_code_key_normalises_exchanges(code, key):
    assert code_key(code) == key


@pytest.mark.parametrize(
    ("surface", "etype", "key"),
    [
        ("中國電信股份有限公司", "COMPANY", "中国电信"),
        ("中国电信", "ORG", "中国电信"),
        ("百度集團-SW", "COMPANY", "百度"),
        ("ＯｐｅｎＡＩ", "COMPANY", "openai"),  # full width folded, case folded
        ("星河科技集团有限公司", "COMPANY", "星河科技"),
        ("“亚行”", "ORG", "亚行"),
        ("李寧", "PERSON", "李宁"),  # people keep every character: no suffix stripping
        ("集团", "COMPANY", "集团"),  # never stripped down to nothing
    ],
)
def test_name_key(surface, etype, key):
    assert name_key(Mention(0, len(surface), surface, etype, surface, "test")) == key


MERGES = [
    pytest.param(
        ["星河科技股份有限公司(01234)今日公布業績。", "星河(1234.HK)股價上漲。", "星河科技集團發布新模型“天穹”。"],
        "org/星河科技", {"星河科技股份有限公司", "星河", "星河科技集團"},
        id="legal suffix, group suffix and an exchange-written code",
    ),
    pytest.param(
        ["中國電信(00728)擁有700多個數據中心。", "中国电信股份有限公司宣布扩容。", "China Telecom宣布扩容。", "中国电信(0728.HK)股价上涨。"],
        "org/中国电信", {"中國電信", "中国电信股份有限公司", "China Telecom"},
        id="both scripts, legal suffix, English name from the lexicon, HK code",
    ),
    pytest.param(
        ["百度集團-SW(09888)漲5%。", "百度推出文心一言。", "集團-SW(09888)收漲。"],
        "org/百度", {"百度", "百度集團-SW", "集團-SW"},
        id="listing suffix and a truncated name joined by the stock code",
    ),
    pytest.param(
        ["國泰君安預計算力需求增長。", "国泰君安证券(601211.SH)发布报告。", "國泰君安(601211)公告。"],
        "org/国泰君安", {"國泰君安", "国泰君安证券"},
        id="broker name with and without 证券, A-share code written two ways",
    ),
]


@pytest.mark.parametrize(("texts", "iri", "labels"), MERGES)
def test_mentions_merge_into_one_entity(texts, iri, labels):
    entities = entity_iris(texts)
    assert iri in entities, sorted(entities)
    assert labels <= entities[iri]
    others = [k for k, v in entities.items() if k != iri and v & labels]
    assert not others, f"{labels} also found on {others}"


def test_same_name_different_type_stays_apart():
    """A person named like a company (李寧 the founder, 李寧 the listed company) stays two entities."""
    g = kg.build(
        [Document("d1", "創始人李寧表示，公司將擴大投資。"), Document("d2", "李寧(02331)股價上漲。")],
    )
    kinds = sorted({str(s)[len(str(KGR)) :] for s in g.rdf.subjects() if str(s).endswith("/李宁")})
    assert kinds == ["org/李宁", "person/李宁"]


def test_different_stock_codes_do_not_merge():
    entities = entity_iris(["星河科技(01234)上漲。", "銀河科技(05678)下跌。"])
    assert {"org/星河科技", "org/银河科技"} <= set(entities)


def test_the_same_article_in_either_script_gives_the_same_entities():
    simplified = (
        "中国电信(00728)现拥有700多个数据中心。OpenAI于2月16日发布了文生视频模型“Sora”。"
        "国泰君安指出，算力需求将持续增长。董事长周鸿祎表示，360集团将推出大模型。"
    )
    traditional = to_traditional(simplified)
    assert traditional != simplified
    a, b = entity_iris([simplified]), entity_iris([traditional])
    assert set(a) == set(b)


def test_iris_do_not_depend_on_document_order():
    docs = [Document("d1", "中國電信(00728)擁有700多個數據中心。"), Document("d2", "中国电信股份有限公司推出了天翼云。")]
    one = kg.build(docs, use_crf=False)
    two = kg.build(list(reversed(docs)), use_crf=False)
    assert isomorphic(one.rdf, two.rdf)
    assert one.serialize() == two.serialize()


def test_an_entity_pickles_to_an_equal_entity_with_counters():
    """A forked build process sends its resolver back pickled: each entity must come back equal,
    its counts as Counters (surfaces a defaultdict of them), its codes and documents kept."""
    import pickle
    from collections import Counter, defaultdict

    from kg.resolve import Entity

    entity = Entity("org:腾讯", Counter({"COMPANY": 3, "ORG": 1}), defaultdict(Counter, {"zh-Hans": Counter({"腾讯": 2}), "zh-Hant": Counter({"騰訊": 1})}),
                    Counter({"腾讯": 3}), {"00700.HK"}, {"d1", "d2"}, True)
    back = pickle.loads(pickle.dumps(entity, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == entity and back is not entity
    assert type(back.types) is Counter and type(back.norms) is Counter
    assert type(back.surfaces) is defaultdict and back.surfaces.default_factory is Counter
    assert all(type(c) is Counter for c in back.surfaces.values())
    back.surfaces["und"]["x"] += 1  # still a defaultdict of Counters
    back.types["PERSON"] += 1  # still a Counter
    assert back.surfaces["und"] == Counter({"x": 1}) and back.types["PERSON"] == 1
