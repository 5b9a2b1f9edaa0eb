"""Every canned query in ontology/queries answers its question on the sample graph."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kg.api import build_documents
from kg.namespaces import KG
from kg.query import read_query, run_query
from kg.resources import ontology_dir
from kg.sources import read_documents, sample_path

QUERIES = ontology_dir() / "queries"


@pytest.fixture(scope="module")
def graph():
    return build_documents(read_documents([sample_path()]))


def answer(graph, name: str) -> list[tuple[str, ...]]:
    result = run_query(graph, read_query(str(QUERIES / f"{name}.rq")))
    return [tuple("" if v is None else str(v) for v in row) for row in result]


EXPECTED = {
    "released": lambda rows: {("OpenAI", "Sora"), ("OpenAI", "ChatGPT")} <= {r[:2] for r in rows},
    "openai_released": lambda rows: any(r[0].endswith("/sora") for r in rows),
    "china_telecom_owns": lambda rows: {Decimal(r[0]) for r in rows} >= {Decimal(700), Decimal(3000), Decimal(513000)},
    "quantities_owned": lambda rows: ("中國電信", "700.0", "個") in {r[:3] for r in rows},
    "predictions_compute_demand": lambda rows: {"國泰君安", "國盛證券"} <= {r[0] for r in rows},
    "stock_codes": lambda rows: {("中國電信", "00728"), ("中國移動", "00941"), ("中興通訊", "00763")} <= set(rows),
    "facts_about_entity": lambda rows: ("OpenAI", str(KG.released), "Sora") in {r[:3] for r in rows},
    "evidence_for_fact": lambda rows: all("Sora" in r[1] and r[4] == "release.v1" for r in rows) and len(rows) >= 1,
    "people_roles": lambda rows: {r[0] for r in rows} >= {"周鴻禕"} and any(r[1].endswith("founderOf") for r in rows),
    "most_connected": lambda rows: rows and rows[0][0] in {"OpenAI", "中國電信", "國盛證券", "國泰君安"} and int(rows[0][1]) >= 5,
}


def test_every_query_file_has_a_check():
    assert {p.stem for p in QUERIES.glob("*.rq")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_canned_query(graph, name):
    rows = answer(graph, name)
    assert rows, f"{name}.rq returned no rows"
    assert EXPECTED[name](rows), rows


@pytest.fixture(scope="module")
def store(graph, tmp_path_factory):
    from kg.export import export
    from kg.query import open_store

    path = tmp_path_factory.mktemp("q") / "graph.ttl"
    export(graph, "ttl", path)
    return open_store(path)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_canned_query_on_oxigraph_gives_the_rdflib_rows(graph, store, name):
    """`kg query` runs on Oxigraph; it must answer exactly what the rdflib API answers."""
    import csv
    import io

    from kg.query import format_result, query_store

    text = read_query(str(QUERIES / f"{name}.rq"))
    ours = list(csv.reader(io.StringIO(query_store(store, text, "csv"))))
    theirs = list(csv.reader(io.StringIO(format_result(run_query(graph, text), "csv"))))
    assert ours[0] == theirs[0]

    def norm(rows):  # Oxigraph writes decimals canonically (3000.0 -> 3000); ties may come back in another order
        def cell(v):
            try:
                return format(Decimal(v).normalize(), "f") if v[:1].isdigit() else v
            except ArithmeticError:
                return v

        return sorted(tuple(cell(v) for v in row) for row in rows)

    assert norm(ours[1:]) == norm(theirs[1:])


def test_oxigraph_errors_point_into_the_users_query(store):
    from kg.errors import QueryError
    from kg.query import query_store

    with pytest.raises(QueryError, match=r"error at 2:9\b"):
        query_store(store, "SELECT * WHERE {\n ?s ?p }")


def test_fact_count_is_each_nodes_number_of_distinct_facts(graph):
    """kg:factCount (what most_connected ranks by) equals counting kg:Assertion subjects/objects."""
    counted = run_query(graph, read_query(
        "SELECT ?e (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a kg:Assertion . { ?a rdf:subject ?e } UNION { ?a rdf:object ?e } "
        "FILTER(isIRI(?e)) } GROUP BY ?e"))
    stored = run_query(graph, read_query("SELECT ?e ?n WHERE { ?e kg:factCount ?n }"))
    as_dict = lambda rows: {str(e): int(n) for e, n in rows}  # noqa: E731
    expected = as_dict(counted)
    assert len(expected) > 20 and as_dict(stored) == expected


_FACTS_ABOUT_BY_DEFINITION = """
SELECT ?subject ?predicate ?object ?confidence WHERE {
  ?e rdfs:label|skos:altLabel ?name . FILTER(STR(?name) = "NAME")
  ?a a kg:Assertion ; rdf:subject ?s ; rdf:predicate ?predicate ; rdf:object ?o ; kg:confidence ?confidence .
  FILTER(?s = ?e || ?o = ?e)
  ?s rdfs:label ?subject .
  OPTIONAL { ?o rdfs:label ?ol }
  BIND(COALESCE(?ol, ?o) AS ?object)
}"""


@pytest.mark.parametrize("name", ["OpenAI", "中國電信", "中国电信", "國泰君安", "Sora", "周鴻禕", "360集團", "no such name"])
def test_facts_about_entity_finds_by_index_what_the_label_scan_finds(graph, store, name):
    """The canned query looks the name up as exact literals and follows the entity's edges (fast
    on a large store); it answers what scanning every label and every fact answers."""
    from kg.query import query_store

    canned = read_query(str(QUERIES / "facts_about_entity.rq")).replace('"OpenAI"', f'"{name}"')
    plain = read_query(_FACTS_ABOUT_BY_DEFINITION.replace("NAME", name))
    rows = lambda result: sorted(tuple(str(v) for v in row) for row in result)  # noqa: E731
    expected = rows(run_query(graph, plain))
    assert rows(run_query(graph, canned)) == expected
    assert len(query_store(store, canned, "csv").splitlines()) == len(expected) + 1  # Oxigraph: as many rows
    if name in ("OpenAI", "中國電信", "國泰君安"):
        assert expected  # names with facts in the sample


_MOST_CONNECTED_BY_DEFINITION = """
SELECT ?entity ?facts WHERE { ?e kg:factCount ?facts ; rdfs:label ?entity . }
ORDER BY DESC(?facts) STR(?entity) LANG(?entity)
LIMIT 20"""


def _ranked_graph():
    """Counted nodes with ties across the 20th row, one to three labels each (two scripts, untagged)."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDFS, XSD

    from kg.graph import KnowledgeGraph

    g = Graph()
    counts = [9, 9, 8, 7, 7, 7, 6, 6, 5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2, 2, 1, 1, 1]
    for i, n in enumerate(counts):
        e = URIRef(f"https://w3id.org/kgzh/id/org/e{i:02d}")
        g.add((e, KG.factCount, Literal(n, datatype=XSD.integer)))
        g.add((e, RDFS.label, Literal(f"名{i:02d}", lang="zh-Hans")))
        if i % 3 == 0:
            g.add((e, RDFS.label, Literal(f"名{i:02d}", lang="zh-Hant")))
        if i % 4 == 1:
            g.add((e, RDFS.label, Literal(f"N{i:02d}")))
    return KnowledgeGraph(g)


def test_most_connected_ranks_what_ranking_every_labelled_node_ranks(graph, store):
    """The canned query sorts only the nodes counted at least as often as the 20th-highest
    distinct count (fast on a large graph); it returns the rows ranking every labelled node gives,
    on the sample graph and on one with ties across the 20th row, on rdflib and on Oxigraph."""
    import pyoxigraph as ox

    from kg.query import query_store

    canned = read_query(str(QUERIES / "most_connected.rq"))
    plain = read_query(_MOST_CONNECTED_BY_DEFINITION)

    def rows(result):
        return [tuple(str(v) for v in row) for row in result]

    ranked = _ranked_graph()
    for g in (graph, ranked):
        expected = rows(run_query(g, plain))
        assert len(expected) == 20 and rows(run_query(g, canned)) == expected
    every = rows(run_query(ranked, plain.replace("LIMIT 20", "")))
    assert every[19][1] == every[20][1]  # the 20th row's count is shared by a row left out: a tie across the cut
    mem = ox.Store()
    mem.load(ranked.serialize("nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    for s in (store, mem):
        assert query_store(s, canned, "csv") == query_store(s, plain, "csv")
