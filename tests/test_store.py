"""The on-disk Oxigraph store (kg build --store): same triples as graph.ttl, kept in step, opened by
kg query and kg serve."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.errors import ConfigError, GraphLoadError
from kg.query import open_store, query_store
from kg.store import is_store, parse_store, query_source, write_store

runner = CliRunner()
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _triples(store) -> set[str]:
    return {str(q.triple) for q in store.quads_for_pattern(None, None, None)}


def test_parse_store_values(tmp_path):
    assert parse_store("auto", tmp_path) == (tmp_path / "store", True)
    assert parse_store(None, tmp_path) == (tmp_path / "store", True)
    assert parse_store("memory", tmp_path) == (None, False)
    assert parse_store("oxigraph", tmp_path) == (tmp_path / "store", False)
    assert parse_store("oxigraph:/x/y", tmp_path) == (Path("/x/y"), False)
    with pytest.raises(ConfigError, match="unknown store"):
        parse_store("sqlite", tmp_path)


def test_store_holds_exactly_the_graph_and_answers_like_the_file(sample_output, tmp_path):
    ttl = sample_output / "graph.ttl"
    n = write_store(ttl, tmp_path / "store")
    assert is_store(tmp_path / "store") and not is_store(tmp_path) and not is_store(ttl)
    disk, memory = open_store(tmp_path / "store"), open_store(ttl)
    assert n == len(memory) > 1000
    assert _triples(disk) == _triples(memory)
    for fmt in ("table", "json"):
        assert query_store(disk, COUNT, fmt) == query_store(memory, COUNT, fmt)


def test_rewriting_swaps_in_a_new_store_and_cleans_leftovers(sample_output, tmp_path):
    target = tmp_path / "store"
    write_store(sample_output / "graph.ttl", target)
    (tmp_path / "store.staging").mkdir()  # what a killed build leaves behind
    (tmp_path / "store.staging" / "junk").write_text("x")
    small = tmp_path / "small.nt"
    small.write_text('<urn:a> <urn:b> "c" .\n', encoding="utf-8")
    assert write_store(small, target) == 1
    assert len(open_store(target)) == 1
    assert not (tmp_path / "store.staging").exists() and not (tmp_path / "store.old").exists()


def test_refuses_to_overwrite_a_directory_that_is_not_a_store(sample_output, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not an Oxigraph store"):
        write_store(sample_output / "graph.ttl", tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_open_errors_are_graph_load_errors(tmp_path):
    (tmp_path / "CURRENT").write_text("garbage")
    with pytest.raises(GraphLoadError, match="cannot open the Oxigraph store"):
        open_store(tmp_path)


def test_query_source_prefers_the_store_of_a_build_directory(sample_output, tmp_path):
    assert query_source(sample_output) == sample_output / "graph.ttl"
    write_store(sample_output / "graph.ttl", tmp_path / "store")
    (tmp_path / "graph.ttl").write_text("")
    assert query_source(tmp_path) == tmp_path / "store"
    assert query_source(tmp_path / "store") == tmp_path / "store"
    assert query_source(tmp_path / "graph.ttl") == tmp_path / "graph.ttl"


def test_build_store_options_keep_the_store_in_step(tmp_path):
    out = tmp_path / "out"
    args = ["build", "-o", str(out), "-q", "--no-model"]
    assert runner.invoke(app, args).exit_code == 0
    assert not is_store(out / "store")  # auto: the sample is far below AUTO_TRIPLES
    assert runner.invoke(app, [*args, "--store", "oxigraph"]).exit_code == 0
    assert is_store(out / "store")
    graph = ox.Store()
    graph.bulk_load(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE)
    assert _triples(open_store(out / "store")) == _triples(graph)
    result = runner.invoke(app, ["query", str(out), COUNT, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["results"]["bindings"][0]["n"]["value"] == str(len(graph))
    # auto keeps an existing store up to date; memory removes it rather than leave it stale
    assert runner.invoke(app, args).exit_code == 0 and is_store(out / "store")
    assert runner.invoke(app, [*args, "--store", "memory"]).exit_code == 0
    assert not (out / "store").exists()


def test_serve_engine_answers_from_a_store(sample_output, tmp_path):
    from kg.server.engine import Engine
    from kg.server.run import graph_file

    write_store(sample_output / "graph.ttl", tmp_path / "store")
    (tmp_path / "graph.ttl").write_bytes((sample_output / "graph.ttl").read_bytes())
    assert graph_file(tmp_path) == tmp_path / "store"
    engine = Engine(graph_file(tmp_path), workers=1).start()
    try:
        assert engine.triples == len(open_store(sample_output / "graph.ttl"))
        reply = engine.run('ASK { ?s kg:hasStockCode "00728" }')
        assert reply.status == 200 and json.loads(reply.body)["boolean"] is True
    finally:
        engine.close()


def test_a_build_on_disk_reports_the_number_of_triples_its_store_holds(tmp_path, monkeypatch, caplog):
    """The store of an on-disk build is a checkpoint of the graph's store: the count it reports is
    the graph's (not a scan of the copy), and it is what the store holds."""
    monkeypatch.setenv("KG_MEMORY_TRIPLES", "1")  # assemble on disk
    out = tmp_path / "out"
    caplog.set_level("INFO")
    result = runner.invoke(app, ["build", "-o", str(out), "--no-model", "--store", "oxigraph"])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in caplog.messages if "into the Oxigraph store" in x]
    assert line.startswith(f"loaded {len(open_store(out / 'store'))} triples")
