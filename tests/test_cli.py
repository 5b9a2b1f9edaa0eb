"""The command line, invoked as users invoke it."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from rdflib import DCTERMS, Graph

from kg.cli import main

SAMPLE_TEXT = "小米集团于3月28日发布了SU7汽车。雷军表示,小米汽车将在未来三年内进入全球前五。"


def run(args: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    """Run ``kg ARGS`` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["kg", *args])
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """``kg build`` with no arguments, in a fresh working directory, as a separate process."""
    cwd = tmp_path_factory.mktemp("build")
    proc = subprocess.run([sys.executable, "-m", "kg.cli", "build"], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"1 documents, \d+ entities, \d+ facts", proc.stdout)
    return cwd / "output"


def test_build_writes_all_outputs(built):
    for name in ("graph.ttl", "graph.html", "graph.graphml", "triples.csv"):
        assert (built / name).stat().st_size > 0, name


def test_turtle_is_deterministic_across_processes(built, tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "-o", str(tmp_path / "again")],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "again" / "graph.ttl").read_bytes() == (built / "graph.ttl").read_bytes()
    assert (tmp_path / "again" / "triples.csv").read_bytes() == (built / "triples.csv").read_bytes()


def test_turtle_parses_in_rdflib_and_pyoxigraph_alike(built):
    pyoxigraph = pytest.importorskip("pyoxigraph")
    ttl = (built / "graph.ttl").read_bytes()
    rdflib_count = len(Graph().parse(data=ttl.decode("utf-8"), format="turtle"))
    store = pyoxigraph.Store()
    store.load(ttl, format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == rdflib_count > 100
    assert "@prefix kg:" in ttl.decode("utf-8")


def test_html_references_nothing_remote(built):
    page = (built / "graph.html").read_text(encoding="utf-8")
    assert not re.search(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=""", page, re.I)
    assert "new vis.Network" in page and "OpenAI" in page


def test_graphml_reads_back_with_attributes(built):
    g = nx.read_graphml(built / "graph.graphml")
    labels = {a["label"] for _, a in g.nodes(data=True)}
    assert {"OpenAI", "Sora", "中國電信"} <= labels
    assert any(d.get("predicate") == "released" for _, _, d in g.edges(data=True))


def test_triples_csv(built):
    rows = list(csv.DictReader((built / "triples.csv").open(encoding="utf-8")))
    assert {"subject", "predicate", "object", "confidence", "document", "sentence"} <= set(rows[0])
    assert any(r["subject"] == "OpenAI" and r["predicate"] == "kg:released" and r["object"] == "Sora" for r in rows)


def test_validate_conforms(built, monkeypatch, capsys):
    code, out, _ = run(["validate", str(built)], monkeypatch, capsys)
    assert code == 0 and "conforms" in out


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "table"])
def test_query_formats(built, fmt, monkeypatch, capsys):
    q = 'SELECT ?c WHERE { ?s rdfs:label "中國電信"@zh-Hant ; kg:hasStockCode ?c }'
    code, out, err = run(["query", str(built / "graph.ttl"), q, "--format", fmt], monkeypatch, capsys)
    assert code == 0, err
    assert "00728" in out
    if fmt == "json":
        assert json.loads(out)["results"]["bindings"][0]["c"]["value"] == "00728"
    if fmt == "tsv":
        assert out.splitlines()[0] == "c"


def test_query_from_rq_file(built, tmp_path, monkeypatch, capsys):
    rq = tmp_path / "q.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a a kg:Assertion }", encoding="utf-8")
    code, out, _ = run(["query", str(built), str(rq), "-f", "csv"], monkeypatch, capsys)
    assert code == 0 and int(out.splitlines()[1]) > 10


def test_extract_jsonl_offsets_and_hints(tmp_path, monkeypatch, capsys):
    path = tmp_path / "in.jsonl"
    records = [
        {"id": "a1", "text": SAMPLE_TEXT},
        {"id": "a2", "text": "據報道,星辰動力將在下月量產新機型。", "entities": [{"text": "星辰動力", "type": "COMPANY"}]},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    code, out, err = run(["extract", str(path), "--no-model"], monkeypatch, capsys)
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["id"] for d in docs] == ["a1", "a2"]
    for doc, record in zip(docs, records):
        for e in doc["entities"]:
            assert record["text"][e["start"] : e["end"]] == e["text"]
        for t in doc["triples"]:
            assert record["text"][t["subject"]["start"] : t["subject"]["end"]] == t["subject"]["text"]
            assert t["sentence"]["start"] <= t["subject"]["start"] < t["sentence"]["end"]
    released = {(t["subject"]["text"], t["object"].get("text")) for t in docs[0]["triples"] if t["predicate"] == "released"}
    assert ("小米集团", "SU7") in released
    assert {"text": "星辰動力", "type": "COMPANY"}.items() <= next(e for e in docs[1]["entities"] if e["text"] == "星辰動力").items()


def test_build_user_files_directory(tmp_path, monkeypatch, capsys):
    src = tmp_path / "news"
    src.mkdir()
    (src / "one.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    (src / "two.md").write_text("# 標題\n\n騰訊控股(00700)今日公佈業績。", encoding="utf-8")
    code, out, err = run(["build", str(src), "-o", str(tmp_path / "out"), "--no-model"], monkeypatch, capsys)
    assert code == 0, err
    assert out.startswith("2 documents")
    g = Graph().parse(tmp_path / "out" / "graph.ttl")
    ids = {str(o) for o in g.objects(None, DCTERMS.identifier)}
    assert ids == {"one", "two"}


# ------------------------------------------------------------------ bad input: one line, exit 2


def _bad(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "nodocs").mkdir()
    (tmp_path / "nodocs" / "x.csv").write_text("a,b", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text('{"id": "1", "text": "好"}\n{"id": 2, "text": \n', encoding="utf-8")
    (tmp_path / "g.ttl").write_text("@prefix kg: <https://w3id.org/kgzh/ontology#> .\n", encoding="utf-8")
    return {
        "missing file": (["build", str(tmp_path / "nope.txt")], "not found"),
        "empty file": (["build", str(tmp_path / "empty.txt"), "-o", str(tmp_path / "o1")], "empty"),
        "binary file": (["build", str(tmp_path / "binary.txt"), "-o", str(tmp_path / "o2")], "binary file"),
        "directory without text": (["build", str(tmp_path / "nodocs")], "no .txt, .md or .jsonl"),
        "malformed JSONL": (["extract", str(tmp_path / "bad.jsonl"), "--strict"], "bad.jsonl:2"),
        "invalid SPARQL": (["query", str(tmp_path / "g.ttl"), "SELEKT ?x WHERE {"], "invalid SPARQL"),
        "missing graph": (["query", str(tmp_path / "none.ttl"), "SELECT * WHERE {?s ?p ?o}"], "not found"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing file", "empty file", "binary file", "directory without text", "malformed JSONL", "invalid SPARQL", "missing graph"],
)
def test_bad_input_is_one_clear_line(case, tmp_path, monkeypatch, capsys):
    args, expected = _bad(tmp_path)[case]
    code, out, err = run(args, monkeypatch, capsys)
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("kg: error:")]
    assert len(lines) == 1 and expected in lines[0], err
    assert "Traceback" not in err


def test_failed_build_keeps_previous_output(built, tmp_path, monkeypatch, capsys):
    out_dir = tmp_path / "keep"
    out_dir.mkdir()
    (out_dir / "graph.ttl").write_bytes((built / "graph.ttl").read_bytes())
    (tmp_path / "bad.jsonl").write_text("not json\n", encoding="utf-8")
    code, _, _ = run(["build", str(tmp_path / "bad.jsonl"), "-o", str(out_dir)], monkeypatch, capsys)
    assert code == 2
    assert (out_dir / "graph.ttl").read_bytes() == (built / "graph.ttl").read_bytes()


def test_user_lexicon_extends_recognition(tmp_path, monkeypatch, capsys):
    lexicon = tmp_path / "mine.tsv"
    lexicon.write_text("# my watch-list\n澄星量子\tCOMPANY\n澄星量子計算\tCOMPANY\t澄星量子\n", encoding="utf-8")
    text = tmp_path / "a.txt"
    text.write_text("澄星量子計算今日發布了新款芯片“曜石一號”。", encoding="utf-8")
    code, out, err = run(["extract", str(text), "--no-model", "--lexicon", str(lexicon)], monkeypatch, capsys)
    assert code == 0, err
    record = json.loads(out)
    company = next(e for e in record["entities"] if e["type"] == "COMPANY")
    assert (company["text"], company["entity"]) == ("澄星量子計算", "澄星量子")
    assert any(t["predicate"] == "released" and t["subject"]["entity"] == "澄星量子" for t in record["triples"])


def test_bad_lexicon_line_is_one_clear_line(tmp_path, monkeypatch, capsys):
    lexicon = tmp_path / "bad.tsv"
    lexicon.write_text("澄星量子\tSPACESHIP\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("澄星量子發布了新品。", encoding="utf-8")
    code, _, err = run(["extract", str(tmp_path / "a.txt"), "--no-model", "--lexicon", str(lexicon)], monkeypatch, capsys)
    assert code == 2
    assert "unknown entity type 'SPACESHIP'" in err and "bad.tsv:1" in err and "Traceback" not in err


def test_build_progress_is_a_line_at_the_hundredth_document_then_one_per_interval(caplog):
    """A long build says how far it got without a line per hundred documents (1,363 of them for
    the 100 MB corpus): the first at 100, then at most one per interval, with the rate so far."""
    import logging

    from kg.cli import Progress

    now = [0.0]
    progress = Progress(every_s=10.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="kg"):
        for n, t in [(50, 0.5), (100, 0.5), (200, 4.0), (300, 10.4), (350, 20.0), (400, 20.6), (500, 30.6), (0, 40.0)]:
            now[0] = t
            progress(n)
    assert [r.getMessage() for r in caplog.records] == [
        "analysed 100 documents (0 s)",
        "analysed 400 documents (21 s, 19 a second)",
        "analysed 500 documents (31 s, 16 a second)",
    ]


def test_kg_freezes_what_a_build_made_once_its_outputs_are_written(tmp_path, monkeypatch, capsys):
    """Run as `kg`, the process ends after the build: what it made is frozen when the outputs are
    written (before the build's pause of the collector ends, so the collection after it walks
    none of it) and again at exit; called in-process, the collector goes on as before."""
    import gc

    from kg import cli

    frozen = gc.get_freeze_count()
    after_the_build = []
    monkeypatch.setattr(cli, "_report", lambda *a: after_the_build.append((gc.get_freeze_count(), gc.isenabled())))
    try:
        code, _, err = run(["build", "-o", str(tmp_path / "out"), "--no-model", "-q"], monkeypatch, capsys)
        assert code == 0, err
        [(count, collecting)] = after_the_build
        assert count > frozen and collecting
        assert not cli._state["exits_after"]
    finally:
        gc.unfreeze()
