"""Every export format is read back by an independent reader."""

from __future__ import annotations

import networkx as nx
import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

import kg
from kg.export import EXPORTERS, export


@pytest.fixture(scope="module")
def graph():
    return kg.build(["中國電信(00728)現擁有700多個數據中心。OpenAI於2月16日釋出了文生影片模型“Sora”。"], use_crf=False)


@pytest.mark.parametrize(("fmt", "rdf_format"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_rdf_exports_round_trip(graph, fmt, rdf_format, tmp_path):
    path = tmp_path / f"g.{fmt}"
    export(graph, fmt, path)
    again = Graph().parse(path, format=rdf_format)
    assert isomorphic(again, graph.rdf)


def test_jsonld_uses_the_published_context(graph, tmp_path):
    path = tmp_path / "g.jsonld"
    export(graph, "jsonld", path)
    text = path.read_text(encoding="utf-8")
    assert '"@context"' in text and '"released"' in text


@pytest.mark.parametrize(("fmt", "reader"), [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_graph_exports_read_back_with_attributes(graph, fmt, reader, tmp_path):
    path = tmp_path / f"g.{fmt}"
    export(graph, fmt, path)
    g = reader(path)
    labels = {a.get("label") for _, a in g.nodes(data=True)}
    assert {"中國電信", "OpenAI", "Sora"} <= labels
    predicates = {d.get("predicate") for _, _, d in g.edges(data=True)}
    assert {"owns", "released"} <= predicates


def test_unknown_format_is_a_clear_error(graph, tmp_path):
    with pytest.raises(kg.KGError, match="unknown export format"):
        export(graph, "xlsx", tmp_path / "g.xlsx")
    assert set(EXPORTERS) >= {"ttl", "nt", "jsonld", "graphml", "gexf", "csv", "html"}


def test_jsonld_expands_with_pyld_to_the_same_graph(graph, tmp_path):
    """An independent JSON-LD processor reads our JSON-LD (context inlined, nothing fetched)."""
    import json

    from pyld import jsonld

    path = tmp_path / "g.jsonld"
    export(graph, "jsonld", path)
    nquads = jsonld.to_rdf(json.loads(path.read_text(encoding="utf-8")), {"format": "application/n-quads"})
    theirs = Graph().parse(data=nquads, format="nquads")
    # pyld writes language tags in lower case (they are case-insensitive): compare terms, not hashes
    _, only_ours, only_theirs = graph_diff(to_isomorphic(graph.rdf), to_isomorphic(theirs))
    assert len(theirs) == len(graph.rdf) and not only_ours and not only_theirs


def test_entities_csv_lists_every_entity_with_aliases_and_codes(graph, tmp_path):
    import csv

    path = tmp_path / "entities.csv"
    export(graph, "entities", path)
    rows = {r["label"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    telecom = rows["中國電信"]
    assert telecom["type"] == "COMPANY" and telecom["stock_codes"] == "00728"
    assert "中国电信" in telecom["aliases"].split("|")
    assert int(telecom["documents"]) == 1 and int(telecom["facts"]) >= 2
    assert rows["Sora"]["type"] == "PRODUCT"


def test_turtle_with_awkward_entity_names_reads_back_in_rdflib_and_oxigraph(tmp_path):
    import pyoxigraph
    from rdflib import Literal

    from kg.graph import KnowledgeGraph
    from kg.namespaces import KG, KGR, RDFS

    g = KnowledgeGraph()
    for name in ["inter%20investment%20pte.%20ltd.", "a/b", "x-", "_y", "1.2", "中国电信"]:
        g.rdf.add((KGR[f"org/{name}"], RDFS.label, Literal(name, lang="zh-Hant")))
        g.rdf.add((KGR[f"org/{name}"], KG.hasStockCode, Literal("00728")))
    path = tmp_path / "g.ttl"
    export(g, "ttl", path)
    assert isomorphic(Graph().parse(path, format="turtle"), g.rdf)
    store = pyoxigraph.Store()
    store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(g.rdf)


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (lambda t: t.replace(" ;\n", " ;;\"\n", 1), r"line \d+ column \d+"),
        (lambda t: t + "\n<http://x> <http://y> .\n", r"line \d+ column \d+"),
        (lambda t: "\ufeff\x00" + t[:40], r"line 1"),
    ],
)
def test_malformed_turtle_names_line_and_column(graph, damage, where, tmp_path):
    good = tmp_path / "good.ttl"
    export(graph, "ttl", good)
    bad = tmp_path / "bad.ttl"
    bad.write_text(damage(good.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(kg.errors.GraphLoadError, match=where) as info:
        kg.load(bad)
    assert "\n" not in str(info.value)
