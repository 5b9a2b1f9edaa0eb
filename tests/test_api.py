"""The public Python API and the installed package."""

from __future__ import annotations

import subprocess
import sys

import networkx as nx

import kg


def test_public_api_matches_all():
    assert sorted(kg.__all__) == sorted(name for name in kg.__all__ if hasattr(kg, name))
    assert {"build", "load", "extract", "KnowledgeGraph", "Document", "KGError"} <= set(kg.__all__)


def test_build_networkx_and_query_on_plain_strings():
    g = kg.build(["英伟达于3月18日发布了新一代GPU芯片Blackwell平台。", "英偉達的創始人、首席執行官黃仁勳表示,AI需求將持續增長。"])
    assert isinstance(g.to_networkx(), nx.MultiDiGraph)
    rows = {str(r.name) for r in g.query("SELECT ?name WHERE { ?s kg:released ?o . ?o rdfs:label ?name }")}
    assert rows == {"Blackwell"}
    people = {(str(r.p), str(r.o)) for r in g.query("SELECT ?p ?o WHERE { ?s rdfs:label ?n ; ?p ?x . ?x rdfs:label ?o . FILTER(STR(?n) = '黃仁勳') }")}
    assert (str(kg.namespaces.KG.founderOf), "英偉達") in people
    assert (str(kg.namespaces.KG.ceoOf), "英偉達") in people


def test_load_roundtrip(tmp_path):
    g = kg.build(["腾讯控股(00700)今日公布业绩。"])
    path = tmp_path / "g.ttl"
    path.write_text(g.serialize(), encoding="utf-8")
    again = kg.load(path)
    assert len(again) == len(g)
    assert [str(r.c) for r in again.query("SELECT ?c WHERE { ?s kg:hasStockCode ?c }")] == ["00700"]


def test_ontology_is_installed_with_the_package(tmp_path):
    """Outside the source tree, the installed package still finds its ontology and sample."""
    code = "from kg.resources import ontology_dir; from kg.sources import sample_path; d = ontology_dir(); print(d); assert (d / 'kg.ttl').is_file() and (d / 'shapes.ttl').is_file() and sample_path().is_file()"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
