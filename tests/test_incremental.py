"""Incremental builds (--append, kg remove), the build state, resumption after a kill,
worker pools and the Dask engine: all give the graph a clean build gives."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.api import Options
from kg.engine import analyse_documents
from kg.model import Document
from tests.test_cli import run

A = [
    {"id": "a1", "text": "中國電信(00728)擁有700多個數據中心。中國電信董事長柯瑞文表示，算力需求將持續增長。"},
    {"id": "a2", "text": "OpenAI於2月16日發布了文生視頻模型Sora。"},
]
B = [
    {"id": "b1", "text": "中国电信股份有限公司(00728)推出了新的云服务“天翼云”。"},
    {"id": "b2", "text": "小米集团于3月28日发布了SU7汽车。雷军表示，小米汽车将在未来三年内进入全球前五。"},
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def kg(args: list[str], monkeypatch, capsys) -> str:
    extra = ["--no-model"] if args[0] in ("build", "remove") else []
    code, out, err = run([*args, *extra], monkeypatch, capsys)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    return {"A": write_jsonl(d / "a.jsonl", A), "B": write_jsonl(d / "b.jsonl", B), "AB": write_jsonl(d / "ab.jsonl", A + B)}


def ttl(out: Path) -> bytes:
    return (out / "graph.ttl").read_bytes()


def test_append_equals_a_build_of_everything_and_remove_undoes_it(inputs, tmp_path, monkeypatch, capsys):
    both, inc, only_a = tmp_path / "both", tmp_path / "inc", tmp_path / "a"
    kg(["build", str(inputs["A"]), str(inputs["B"]), "-o", str(both)], monkeypatch, capsys)
    kg(["build", str(inputs["A"]), "-o", str(only_a)], monkeypatch, capsys)
    kg(["build", str(inputs["A"]), "-o", str(inc)], monkeypatch, capsys)
    out = kg(["build", str(inputs["B"]), "--append", "-o", str(inc)], monkeypatch, capsys)
    assert "4 documents" in out and "[2 analysed" in out
    assert ttl(inc) == ttl(both)  # byte-identical, not just isomorphic
    assert (inc / "triples.csv").read_bytes() == (both / "triples.csv").read_bytes()

    # the entity that only b2 supports is there, then gone with b2
    assert "小米" in ttl(inc).decode()
    kg(["remove", "b1", "b2", "-o", str(inc)], monkeypatch, capsys)
    assert ttl(inc) == ttl(only_a)
    assert "小米" not in ttl(inc).decode()
    g = Graph().parse(inc / "graph.ttl")
    assert isomorphic(g, Graph().parse(only_a / "graph.ttl"))


def test_readding_unchanged_documents_changes_nothing(inputs, tmp_path, monkeypatch, capsys):
    out = tmp_path / "o"
    kg(["build", str(inputs["A"]), str(inputs["B"]), "-o", str(out)], monkeypatch, capsys)
    before = ttl(out)
    report = kg(["build", str(inputs["A"]), "--append", "-o", str(out)], monkeypatch, capsys)
    assert "[0 analysed, 2 unchanged" in report
    assert ttl(out) == before
    # a fresh build of the same inputs reuses the stored analyses
    report = kg(["build", str(inputs["A"]), str(inputs["B"]), "-o", str(out)], monkeypatch, capsys)
    assert "[0 analysed, 4 reused" in report
    assert ttl(out) == before


def test_changed_duplicate_and_clashing_documents(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o"
    kg(["build", str(write_jsonl(tmp_path / "a.jsonl", A)), "-o", str(out)], monkeypatch, capsys)
    changed = [{"id": "a2", "text": "OpenAI於2月16日發布了模型Sora和DALL·E。"}, {"id": "copy", "text": A[0]["text"]}]
    report = kg(["build", str(write_jsonl(tmp_path / "c.jsonl", changed)), "--append", "-o", str(out)], monkeypatch, capsys)
    assert "2 documents" in report and "1 replaced" in report and "1 duplicates skipped" in report
    assert "DALL" in ttl(out).decode()
    # two different inputs with one id in a single build: both kept, the second renamed
    clash = tmp_path / "clash"
    (clash / "x").mkdir(parents=True)
    (clash / "y").mkdir()
    (clash / "x" / "news.txt").write_text(A[0]["text"], encoding="utf-8")
    (clash / "y" / "news.txt").write_text(B[1]["text"], encoding="utf-8")
    report = kg(["build", str(clash), "-o", str(tmp_path / "o2")], monkeypatch, capsys)
    assert report.startswith("2 documents")
    assert "news~" in ttl(tmp_path / "o2").decode()


def test_bad_incremental_requests_are_one_line(inputs, tmp_path, monkeypatch, capsys):
    code, _, err = run(["build", str(inputs["A"]), "--append", "-o", str(tmp_path / "none")], monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and "no build state" in err
    out = tmp_path / "o"
    kg(["build", str(inputs["A"]), "-o", str(out)], monkeypatch, capsys)
    before = ttl(out)
    code, _, err = run(["remove", "nope", "-o", str(out)], monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and "no document 'nope'" in err
    code, _, err = run(["remove", "a1", "a2", "-o", str(out), "--no-model"], monkeypatch, capsys)
    assert code == 2 and "empty" in err
    assert ttl(out) == before


def test_explain_shows_the_rule_of_each_merge(inputs, tmp_path, monkeypatch, capsys):
    out = tmp_path / "o"
    kg(["build", str(inputs["AB"]), "-o", str(out)], monkeypatch, capsys)
    text = kg(["explain", "中国电信", "-o", str(out)], monkeypatch, capsys)  # Simplified query, Traditional text
    assert "org/中国电信" in text and "00728" in text
    assert "中國電信" in text and "中国电信股份有限公司" in text  # both scripts, legal suffix stripped
    assert "in a1" in text and "in b1" in text
    assert text == kg(["explain", "00728", "-o", str(out)], monkeypatch, capsys)
    code, _, err = run(["explain", "不存在的公司", "-o", str(out)], monkeypatch, capsys)
    assert code == 2 and "no entity matches" in err


def test_per_document_named_graphs(inputs, tmp_path, monkeypatch, capsys):
    import pyoxigraph

    out = tmp_path / "o"
    kg(["build", str(inputs["AB"]), "-o", str(out)], monkeypatch, capsys)
    for fmt in ("nq", "trig"):
        kg(["export", str(out), "-f", fmt, "-o", str(out / f"graph.{fmt}")], monkeypatch, capsys)
    import kg as kglib

    base = kglib.load(out / "graph.ttl").rdf
    for fmt in ("nq", "trig"):
        assert isomorphic(kglib.load(out / f"graph.{fmt}").rdf, base)
    store = pyoxigraph.Store()
    store.bulk_load(path=str(out / "graph.nq"), format=pyoxigraph.RdfFormat.N_QUADS)
    names = sorted(g.value for g in store.named_graphs())
    assert names == [f"https://w3id.org/kgzh/id/doc/{i}" for i in ("a1", "a2", "b1", "b2")]
    # dropping a document's graph drops its evidence, not the shared entities
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/kgzh/id/doc/b2> { ?ev <https://w3id.org/kgzh/ontology#document> ?d } }"
    assert int(next(iter(store.query(q)))["n"].value) > 0
    first = (out / "graph.nq").read_bytes()
    kg(["export", str(out), "-f", "nq", "-o", str(out / "again.nq")], monkeypatch, capsys)
    assert (out / "again.nq").read_bytes() == first


def test_worker_pool_gives_the_same_results_as_one_process():
    docs = [Document(id=f"d{i}", text=r["text"]) for i, r in enumerate((A + B) * 3)]
    options = Options(use_crf=False)
    one = list(analyse_documents(docs, options, jobs=1, batch_size=2))
    two = list(analyse_documents(docs, options, jobs=2, batch_size=2))
    assert [r.document.id for r in two] == [d.id for d in docs]
    assert one == two


def test_dask_local_cluster_gives_the_local_graph(inputs, tmp_path, monkeypatch, capsys):
    pytest.importorskip("dask.distributed")
    local, dask = tmp_path / "local", tmp_path / "dask"
    kg(["build", str(inputs["AB"]), "-o", str(local), "--jobs", "1"], monkeypatch, capsys)
    kg(["build", str(inputs["AB"]), "-o", str(dask), "--engine", "dask", "--jobs", "2"], monkeypatch, capsys)
    assert ttl(dask) == ttl(local)


def test_sigkill_mid_build_keeps_the_previous_graph_and_the_rerun_completes(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    # enough that the build runs for seconds after its first commit, so the kill lands mid-build:
    # 200 paragraphs left a window of ~1 s, and one run of the whole suite failed here once
    n = 600
    paragraphs = [f"第{i}家公司星河{i}科技發布了新款模型“天穹{i}”。董事長王{i}表示，算力需求將持續增長。" * 10 for i in range(n)]
    write_jsonl(corpus, [{"id": f"n{i:04d}", "text": t} for i, t in enumerate(paragraphs)])
    out = tmp_path / "o"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, "-m", "kg.cli", "build", "--no-model", "--jobs", "1", "-o", str(out)]
    subprocess.run([*cmd, str(write_jsonl(tmp_path / "first.jsonl", A))], check=True, env=env, capture_output=True, timeout=300)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    proc = subprocess.Popen([*cmd, str(corpus)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = out / "kg-state.staging.sqlite"
    deadline = time.monotonic() + 120
    analysed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        if staging.exists():
            try:
                with sqlite3.connect(staging) as db:
                    analysed = db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
            except sqlite3.Error:
                continue
            if analysed >= 16:
                break
    assert proc.poll() is None, "the build finished before it could be killed; make the corpus bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert analysed >= 16
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name in before} == before  # previous outputs intact

    rerun = subprocess.run([*cmd, str(corpus)], env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "reused" in rerun.stdout or "resum" in rerun.stderr
    assert not staging.exists()
    assert rerun.stdout.startswith(f"{n} documents")
    with sqlite3.connect(out / "kg-state.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM docs").fetchone()[0] == n


def test_analyses_of_another_pipeline_are_redone_from_the_stored_texts(inputs, tmp_path, monkeypatch, capsys):
    out, clean = tmp_path / "o", tmp_path / "clean"
    kg(["build", str(inputs["A"]), "-o", str(out)], monkeypatch, capsys)
    with sqlite3.connect(out / "kg-state.sqlite") as db:  # as if kg, its model or a lexicon had changed
        db.execute("UPDATE meta SET value = 'another pipeline' WHERE key = 'fingerprint'")
        # and the records written as schema 2 did (zlib), which is how an upgrade finds them
        from kg.state import _unpacked

        rows = db.execute("SELECT id, result FROM docs").fetchall()
        assert rows and all(blob[:1] == b"L" for _, blob in rows)
        db.executemany("UPDATE docs SET result = ? WHERE id = ?", [(zlib.compress(_unpacked(blob), 1), i) for i, blob in rows])
    report = kg(["build", str(inputs["B"]), "--append", "-o", str(out)], monkeypatch, capsys)
    assert "[4 analysed" in report
    kg(["build", str(inputs["A"]), str(inputs["B"]), "-o", str(clean)], monkeypatch, capsys)
    assert ttl(out) == ttl(clean)


def test_workers_pack_results_as_the_state_stores_them(tmp_path):
    from kg.state import State, packed

    docs = [Document(f"d{i}", f"星河{i}科技发布了新模型。董事长王{i}表示，算力需求将持续增长。") for i in range(5)]
    options = Options(use_crf=False)
    plain = list(analyse_documents(docs, options, batch_size=2))
    for jobs in (1, 2):
        records = list(analyse_documents(docs, options, jobs=jobs, batch_size=2, pack=packed))
        assert [doc_id for doc_id, _ in records] == [d.id for d in docs]  # input order
        state = State(tmp_path / f"state{jobs}.sqlite")
        for doc_id, blob in records:
            state.put_blob(doc_id, "h", "t", blob)
        assert [state.result(d.id) for d in docs] == plain
        state.close()


def test_the_state_reads_records_of_either_compression_and_names_a_damaged_one(tmp_path):
    """Records are LZ4-compressed; those of a state written before (zlib, schema 2) still read,
    as ``--append`` onto an older build needs (it re-analyses from their texts)."""
    import pickle

    from kg.errors import GraphLoadError
    from kg.state import State, packed

    result = next(iter(analyse_documents([Document("d", "星河科技发布了新模型。")], Options(use_crf=False))))
    state = State(tmp_path / "state.sqlite")
    blob = packed(result)[1]
    assert len(blob) < len(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))  # compressed
    state.put_blob("new", "h", "t", blob)
    state.put_blob("old", "h", "t", zlib.compress(pickle.dumps(result), 1))
    state.put_blob("bad", "h", "t", blob[:-5])
    assert state.result("new") == state.result("old") == result
    with pytest.raises(GraphLoadError, match="cannot read document 'bad'"):
        state.result("bad")
    state.close()


def test_the_cycle_collector_pauses_for_the_analysis_the_assembly_and_the_outputs(tmp_path, monkeypatch):
    """Paused while documents are analysed (batch by batch) and while the graph is assembled and
    written, which make no reference cycles; running in between, where reading the inputs does
    (an HTML page's extraction leaves a few)."""
    import gc

    from kg import engine
    from kg.incremental import update

    seen = []
    extract = engine.run_extractors

    def run_extractors(*args):
        seen.append(("analysis", gc.isenabled()))
        return extract(*args)

    monkeypatch.setattr(engine, "run_extractors", run_extractors)
    docs = [Document("a", "中国电信拥有700个数据中心。")]
    graph, _ = update(tmp_path / "on", docs, progress=lambda n: seen.append(("between", gc.isenabled())),
                      write=lambda g: seen.append(("outputs", gc.isenabled())))
    graph.close()
    assert seen == [("analysis", False), ("between", True), ("outputs", False)] and gc.isenabled()
    gc.disable()  # a caller that had it off finds it off
    try:
        graph, _ = update(tmp_path / "off", docs, write=lambda g: seen.append(gc.isenabled()))
        graph.close()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_analysis_leaves_no_reference_cycles():
    """The cycle collector is paused while documents are analysed, which is only right while the
    analysis leaves nothing for it: every object it makes and drops goes by reference counting
    (the sentence views an analysis keeps refer back to it, so they are dropped after extraction)."""
    import gc

    from kg.engine import analyse_batch
    from kg.sources import sample_documents

    docs = list(sample_documents()) + [Document(f"d{i}", f"星河{i}科技发布了新模型。该公司董事长王{i}表示，"
                                                f"算力需求将持续增长，其持有华为{i}%的股份。") for i in range(3)]
    options = Options()  # the whole pipeline, the CRF and every extractor
    first = analyse_batch(docs, options)  # the pipeline and its caches load
    assert any(r.facts for r in first)
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage, to be looked at
    try:
        again = analyse_batch(docs, options)
        gc.collect()
        # (threads an earlier test left, a Dask cluster's, may make garbage of their own meanwhile)
        ours = [o for o in gc.garbage if type(o).__module__.startswith("kg.")]
        assert ours == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()
    assert again == first


def test_spacy_forgets_the_words_of_later_batches_and_the_results_stay(monkeypatch):
    """Past PERMANENT_STRINGS, the words a batch brings are forgotten when it is done (the
    vocabulary stays bounded however many new words a long build brings), and the results are
    those of a pipeline that keeps every word."""
    from kg import engine
    from kg.nlp.pipeline import make_nlp

    options = Options()
    nlp = make_nlp(tuple(options.lexicons), options.use_crf, options.segmenter)
    # every document brings words no other has (numbers, Latin names)
    docs = [Document(id=f"d{k}", text=f"公司Zeta{k}Corp发布了X{k}Q型号，营收增长{k * 7919 % 1000}.{k}亿元。") for k in range(60)]
    monkeypatch.setattr(engine, "PERMANENT_STRINGS", 10 ** 9)  # nothing forgotten
    keep_all = list(analyse_documents(docs[:30], options, batch_size=4))
    kept = len(nlp.vocab.strings)
    monkeypatch.setattr(engine, "PERMANENT_STRINGS", 0)  # every batch's new words forgotten
    sizes = []
    forgetting: list = []
    for batch in engine._batches(docs[30:], 4):
        forgetting += engine.analyse_batch(batch, options)
        sizes.append(len(nlp.vocab.strings))
    assert sizes == [kept] * len(sizes)
    monkeypatch.setattr(engine, "PERMANENT_STRINGS", 10 ** 9)
    keep_all += analyse_documents(docs[30:], options, batch_size=4)
    assert len(nlp.vocab.strings) >= kept + 30  # the same documents' words (one new at least each), kept this time
    assert forgetting == keep_all[30:]
