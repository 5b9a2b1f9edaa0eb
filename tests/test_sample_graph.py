"""What the graph must say about the embedded sample article (Traditional Chinese)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import Literal

import kg
from kg.api import build_documents
from kg.namespaces import KG, RDF, RDFS, SKOS, XSD
from kg.sources import read_documents, sample_path


@pytest.fixture(scope="module")
def graph() -> kg.KnowledgeGraph:
    return build_documents(read_documents([sample_path()]))


def rows(graph, sparql):
    return [tuple(str(v) if v is not None else None for v in r) for r in graph.query(sparql)]


def names(graph, node) -> set[str]:
    return {str(o) for p in (RDFS.label, SKOS.altLabel) for o in graph.rdf.objects(node, p)}


def entity(graph, label):
    found = sorted({s for s in graph.rdf.subjects(RDFS.label, None) if any(str(o) == label for o in graph.rdf.objects(s, RDFS.label))})
    assert len(found) == 1, f"expected one entity labelled {label}, got {found}"
    return found[0]


def test_issue_query_openai_released(graph):
    got = rows(graph, 'SELECT ?l WHERE { ?s kg:released ?o . ?o rdfs:label ?l . ?s rdfs:label ?sl . FILTER(STR(?sl) = "OpenAI") }')
    labels = {r[0] for r in got}
    assert {"Sora", "ChatGPT"} <= labels
    assert any(label.startswith("DALL") for label in labels)


def test_issue_query_china_telecom_owns(graph):
    got = rows(graph, 'SELECT ?n WHERE { ?s rdfs:label "中國電信"@zh-Hant ; kg:owns ?q . ?q rdf:value ?n }')
    assert {Decimal(r[0]) for r in got} >= {Decimal(700), Decimal(3000), Decimal(513000)}


def test_quantity_nodes_are_normalised(graph):
    telecom = entity(graph, "中國電信")
    quantities = {}
    for q in graph.rdf.objects(telecom, KG.owns):
        for name in names(graph, graph.rdf.value(q, KG.of)):
            quantities[name] = q
    q700 = quantities["數據中心"]
    value = graph.rdf.value(q700, RDF.value)
    assert value.datatype == XSD.decimal
    assert value.toPython() == Decimal(700)
    assert graph.rdf.value(q700, KG.unit) == Literal("個")
    assert graph.rdf.value(q700, KG.atLeast).toPython() is True
    assert graph.rdf.value(q700, KG.approximate).toPython() is True
    racks = {q for name, q in quantities.items() if "機架" in name}
    assert [graph.rdf.value(q, RDF.value).toPython() for q in racks] == [Decimal(513000)]
    assert graph.rdf.value(racks.pop(), KG.atLeast).toPython() is False


def test_predicts_compute_demand_with_statement(graph):
    got = rows(graph, """
        SELECT ?text WHERE {
          ?s rdfs:label "國泰君安"@zh-Hant ; kg:predicts ?o . ?o skos:altLabel|rdfs:label ?ol .
          FILTER(STR(?ol) = "算力需求")
          ?st a kg:Statement ; kg:speaker ?s ; kg:about ?o ; kg:claimText ?text ; kg:modality ?m .
        }""")
    assert got, "國泰君安 predicts 算力需求 with a statement node"
    assert "多模態" in got[0][0]


def test_stock_codes_and_merge_by_code(graph):
    got = dict(rows(graph, "SELECT ?l ?c WHERE { ?s kg:hasStockCode ?c ; rdfs:label ?l }"))
    assert got["中興通訊"] == "00763"
    assert got["中國移動"] == "00941"
    assert got["中國電信"] == "00728"
    baidu = [s for s in graph.rdf.subjects(KG.hasStockCode, Literal("09888"))]
    assert len(baidu) == 1, "百度集團-SW(09888) and 集團-SW(09888) are one entity"
    assert {"百度集團-SW", "集團-SW"} <= names(graph, baidu[0])


def test_founder_and_chairman(graph):
    got = set(rows(graph, 'SELECT ?p WHERE { ?s rdfs:label "周鴻禕"@zh-Hant ; ?p ?o . ?o rdfs:label "360集團"@zh-Hant }'))
    assert {(str(KG.founderOf),), (str(KG.chairmanOf),)} <= got


def test_labels_in_original_script_with_simplified_alternative(graph):
    telecom = entity(graph, "中國電信")
    assert Literal("中國電信", lang="zh-Hant") in set(graph.rdf.objects(telecom, RDFS.label))
    assert Literal("中国电信", lang="zh-Hans") in set(graph.rdf.objects(telecom, SKOS.altLabel))
    openai = entity(graph, "OpenAI")
    assert Literal("OpenAI") in set(graph.rdf.objects(openai, RDFS.label))


def test_entity_types(graph):
    assert (entity(graph, "OpenAI"), RDF.type, KG.Company) in graph.rdf
    assert (entity(graph, "Sora"), RDF.type, KG.Product) in graph.rdf
    assert (entity(graph, "周鴻禕"), RDF.type, KG.Person) in graph.rdf


def test_provenance_query_from_readme(graph):
    got = rows(graph, """
        SELECT ?doc ?sentence ?start ?end ?extractor ?confidence WHERE {
          ?a a kg:Assertion ; rdf:subject ?s ; rdf:predicate kg:released ; rdf:object ?o ; kg:evidence ?e .
          ?s rdfs:label "OpenAI" . ?o rdfs:label "Sora" .
          ?e kg:document/dcterms:identifier ?doc ; kg:sentenceText ?sentence ;
             kg:sentenceStart ?start ; kg:sentenceEnd ?end ; kg:extractor ?extractor ; kg:confidence ?confidence .
        }""")
    assert got
    text = sample_path().read_text(encoding="utf-8")
    for doc, sentence, start, end, extractor, confidence in got:
        assert doc == "000_86f5fe8a0223e3b1"
        assert text[int(start) : int(end)] == sentence
        assert "Sora" in sentence and extractor == "release.v1"
        assert 0 < float(confidence) <= 1


def test_every_evidence_offset_slices_back(graph):
    text = sample_path().read_text(encoding="utf-8")
    for ev in graph.rdf.subjects(RDF.type, KG.Evidence):
        g = graph.rdf
        s, e = int(g.value(ev, KG.sentenceStart)), int(g.value(ev, KG.sentenceEnd))
        assert text[s:e] == str(g.value(ev, KG.sentenceText))
        ss, se = int(g.value(ev, KG.subjectStart)), int(g.value(ev, KG.subjectEnd))
        assert text[ss:se] == str(g.value(ev, KG.subjectText))
        if g.value(ev, KG.objectStart) is not None:
            os_, oe = int(g.value(ev, KG.objectStart)), int(g.value(ev, KG.objectEnd))
            assert text[os_:oe] == str(g.value(ev, KG.objectText))


def test_networkx_view(graph):
    nxg = graph.to_networkx()
    labels = {n: a["label"] for n, a in nxg.nodes(data=True)}
    edges = {(labels[s], d["predicate"], labels[o]) for s, o, d in nxg.edges(data=True)}
    assert ("OpenAI", "released", "Sora") in edges
    assert ("周鴻禕", "founderOf", "360集團") in edges
    telecom = [n for n, lab in labels.items() if lab == "中國電信"][0]
    assert nxg.nodes[telecom]["stockCode"] == "00728"
