"""Graphs too large for memory are assembled on disk (external sort + Oxigraph store): the outputs
are the bytes an in-memory build writes, and exports from a store are the bytes of the build."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import URIRef

from kg.canonical import SortedLines, fix_lang_case
from kg.graph import assemble, build_graph
from kg.incremental import ASSEMBLY_DIR, stored_results
from kg.model import Mention
from kg.resolve import Resolver
from tests.test_incremental import A, B, kg, write_jsonl

OUTPUTS = ("graph.ttl", "triples.csv", "entities.csv", "graph.graphml", "graph.html")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "ab.jsonl", A + B)


def test_a_build_on_disk_writes_the_bytes_of_a_build_in_memory(corpus, tmp_path, monkeypatch, capsys):
    memory, disk = tmp_path / "memory", tmp_path / "disk"
    kg(["build", str(corpus), "-o", str(memory), "--store", "memory"], monkeypatch, capsys)
    monkeypatch.setenv("KG_MEMORY_TRIPLES", "50")  # a few hundred triples: far past the limit
    out = kg(["build", str(corpus), "-o", str(disk), "--store", "oxigraph"], monkeypatch, capsys)
    assert "4 documents" in out
    for name in OUTPUTS:
        assert (disk / name).read_bytes() == (memory / name).read_bytes(), name
    assert not (disk / ASSEMBLY_DIR).exists()
    # the store is a checkpoint of the assembly's store, not a second load: same triples as graph.ttl
    import pyoxigraph as ox

    loaded = ox.Store()  # a store normalises literals (700.0 -> 700): compare store with store
    loaded.bulk_load(path=str(memory / "graph.ttl"), format=ox.RdfFormat.TURTLE)
    triples = lambda store: {str(q.triple) for q in store.quads_for_pattern(None, None, None)}
    assert triples(ox.Store.read_only(str(disk / "store"))) == triples(loaded)


def test_assemble_switches_to_disk_past_the_limit_and_close_cleans_up(corpus, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    kg(["build", str(corpus), "-o", str(out)], monkeypatch, capsys)
    results = list(stored_results(out))
    in_memory = build_graph(results)
    work = tmp_path / "work"
    on_disk = assemble(lambda: iter(results), work, limit=50)
    try:
        assert on_disk.on_disk and not in_memory.on_disk
        assert len(on_disk) == len(in_memory) > 50
        assert on_disk.serialize("turtle") == in_memory.serialize("turtle")
        assert on_disk.serialize("nt") == in_memory.serialize("nt")
        assert on_disk.stats() == in_memory.stats()
        assert on_disk.fact_rows() == in_memory.fact_rows()
        # the networkx view is made once: readers share it (copy=False), others get a copy to change
        view = on_disk.to_networkx(copy=False)
        assert on_disk.to_networkx(copy=False) is view
        mine = on_disk.to_networkx()
        assert mine is not view and sorted(mine.edges(keys=True)) == sorted(in_memory.to_networkx().edges(keys=True))
        mine.clear()
        assert sorted(view.nodes) == sorted(in_memory.to_networkx().nodes) != []
        count = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
        assert [tuple(map(str, r)) for r in on_disk.query(count)] == [tuple(map(str, r)) for r in in_memory.query(count)]
    finally:
        on_disk.close()
    assert not work.exists()
    small = assemble(lambda: iter(results), tmp_path / "unused", limit=10**6)
    assert not small.on_disk and not (tmp_path / "unused").exists()


def test_exports_from_a_store_are_the_bytes_of_the_build(corpus, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    kg(["build", str(corpus), "-o", str(out), "--store", "oxigraph"], monkeypatch, capsys)
    ttl_file = tmp_path / "graph-only.ttl"
    ttl_file.write_bytes((out / "graph.ttl").read_bytes())
    for fmt, built in (("ttl", "graph.ttl"), ("csv", "triples.csv"), ("entities", "entities.csv"), ("graphml", "graph.graphml")):
        kg(["export", str(out), "-f", fmt, "-o", str(tmp_path / f"from-store.{fmt}")], monkeypatch, capsys)
        assert (tmp_path / f"from-store.{fmt}").read_bytes() == (out / built).read_bytes(), fmt
    kg(["export", str(out), "-f", "nq", "-o", str(tmp_path / "store.nq")], monkeypatch, capsys)
    kg(["export", str(ttl_file), "-f", "nq", "-o", str(tmp_path / "file.nq")], monkeypatch, capsys)
    assert (tmp_path / "store.nq").read_bytes() == (tmp_path / "file.nq").read_bytes()
    assert b"@zh-Hant" in (tmp_path / "store.nq").read_bytes()  # tag case restored after Oxigraph


lines = st.lists(st.text(alphabet=st.sampled_from(list('ab"\\ \u2028中@<>.\x1c')), max_size=8), max_size=40)


@given(lines)
@settings(max_examples=60, deadline=None)
def test_sorted_lines_equals_sorted_set_whatever_the_chunk(items):
    """Whatever the chunk, and whether the runs are merged by the system's sort or in Python;
    iterated or written to a file."""
    import tempfile
    from unittest import mock

    items = [i for i in items if "\n" not in i]
    expected = sorted(set(items))
    with tempfile.TemporaryDirectory() as tmp:
        for chunk in (1, 3, 1000):
            for which in (shutil.which, lambda name: None):  # the system's sort, or none
                with mock.patch("kg.canonical.shutil.which", which):
                    with SortedLines(chunk=chunk) as sorter:
                        sorter.extend(items)
                        assert list(sorter) == expected
                    with SortedLines(Path(tmp), chunk=chunk) as sorter:
                        sorter.extend(items)
                        assert sorter.write(Path(tmp) / "out.txt") == len(expected)
                        assert (Path(tmp) / "out.txt").read_text(encoding="utf-8") == "".join(x + "\n" for x in expected)


def test_lang_case_is_restored_only_at_the_end_of_a_literal():
    assert fix_lang_case(b'<a> <b> "x"@zh-hans .\n') == b'<a> <b> "x"@zh-Hans .\n'
    assert fix_lang_case(b'<a> <b> "say \\"@zh-hant\\"" .\n') == b'<a> <b> "say \\"@zh-hant\\"" .\n'
    assert fix_lang_case(b'"a\\\\"@zh-hant ;\n"b"@zh-hansx .\n"c"@zh-hans_ "d"@zh-han"@zh-hant') == (
        b'"a\\\\"@zh-Hant ;\n"b"@zh-hansx .\n"c"@zh-hans_ "d"@zh-han"@zh-Hant')


_LANG_CASE = re.compile(rb'(?<!\\)((?:\\\\)*)"@zh-han([st])\b')  # the rule, as a regex


@given(st.lists(st.sampled_from([b"\\", b'"', b'"@zh-han', b"s", b"t", b"x", b"_", b" ", b"\n", b"@"]), max_size=30))
@settings(max_examples=300, deadline=None)
def test_lang_case_follows_the_rule_whatever_the_bytes(pieces):
    data = b"".join(pieces)
    assert fix_lang_case(data) == _LANG_CASE.sub(rb'\1"@zh-Han\2', data)


def test_resolver_counts_without_keeping_mentions():
    mentions = [
        (Mention(0, 4, "腾讯控股", "COMPANY", "腾讯控股", "crf"), "d1", "zh-Hans"),
        (Mention(0, 4, "騰訊控股", "COMPANY", "騰訊控股", "crf"), "d2", "zh-Hant"),
        (Mention(9, 11, "腾讯", "ORG", "腾讯", "crf", code="00700"), "d2", "zh-Hans"),
        (Mention(20, 24, "腾讯控股", "COMPANY", "腾讯控股", "crf", code="0700.HK"), "d3", "zh-Hans"),
    ]
    lean, full = Resolver(), Resolver(keep_mentions=True)
    for m, d, s in mentions:
        lean.add(m, d, s)
        full.add(m, d, s)
    a, b = lean.entities(), full.entities()
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key].key, a[key].types, dict(a[key].surfaces), a[key].norms, a[key].codes) == (
            b[key].key, b[key].types, dict(b[key].surfaces), b[key].norms, b[key].codes)
    assert sum(lean.count(k) for k in a) == len(full.mentions()) == 4
    assert {d for e in b.values() for d in e.documents} == {"d1", "d2", "d3"}
    with pytest.raises(ValueError, match="keep_mentions"):
        lean.mentions()


def test_append_and_remove_on_disk_give_the_bytes_of_fresh_builds(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KG_MEMORY_TRIPLES", "50")
    a, b = write_jsonl(tmp_path / "a.jsonl", A), write_jsonl(tmp_path / "b.jsonl", B)
    both, inc, only_a = tmp_path / "both", tmp_path / "inc", tmp_path / "only_a"
    kg(["build", str(a), str(b), "-o", str(both)], monkeypatch, capsys)
    kg(["build", str(a), "-o", str(only_a)], monkeypatch, capsys)
    kg(["build", str(a), "-o", str(inc)], monkeypatch, capsys)
    kg(["build", str(b), "-o", str(inc), "--append"], monkeypatch, capsys)
    assert (inc / "graph.ttl").read_bytes() == (both / "graph.ttl").read_bytes()
    kg(["remove", *(r["id"] for r in B), "-o", str(inc)], monkeypatch, capsys)
    for name in OUTPUTS:
        assert (inc / name).read_bytes() == (only_a / name).read_bytes(), name
    assert not (inc / ASSEMBLY_DIR).exists()


def test_nt_line_is_rdflibs_nt_row_with_iris_cached():
    from decimal import Decimal

    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import XSD
    from rdflib.plugins.serializers.nt import _nt_row

    from kg.canonical import nt_line

    a, p = URIRef("http://example.org/甲"), URIRef("http://example.org/p")
    triples = [
        (a, p, Literal('x\n"y\\', lang="zh-Hans")),
        (a, p, Literal(Decimal("1.50"), datatype=XSD.decimal)),
        (BNode("b1"), p, a),
        (a, p, Literal(True)),
        (a, p, Literal(3)),
        (a, p, Literal("http://example.org/甲")),  # a literal with an IRI's text is still a literal
        (a, p, Literal("http://example.org/p", datatype=XSD.anyURI)),
    ]
    for _ in range(2):  # the second time from the cache
        assert [nt_line(t) for t in triples] == [_nt_row(t)[:-1] for t in triples]


def test_readers_of_the_store_wait_for_its_load_and_get_its_failure(corpus, tmp_path, monkeypatch, capsys):
    import pyoxigraph as ox

    from kg import graph as kg_graph

    out = tmp_path / "out"
    kg(["build", str(corpus), "-o", str(out)], monkeypatch, capsys)
    results = list(stored_results(out))
    on_disk = assemble(lambda: iter(results), tmp_path / "work", limit=50)
    try:  # the Turtle is written from the N-Triples; the store's reader sees every triple
        assert on_disk.serialize("turtle") == build_graph(results).serialize("turtle")
        assert len(list(on_disk.store.quads_for_pattern(None, None, None))) == len(on_disk)
    finally:
        on_disk.close()

    work = tmp_path / "broken"
    work.mkdir()
    missing = work / "missing.nt"
    loader = kg_graph._Loader(ox.Store())
    loader.finish(missing)  # no run came: it loads the merged file, which is not there
    broken = kg_graph.KnowledgeGraph(canonical_nt=missing, size=0, workdir=work, store=loader.store, loading=loader)
    with pytest.raises(FileNotFoundError):
        broken.store  # noqa: B018 - the property waits and raises
    broken.close()
    assert not work.exists()


def test_a_graph_that_outgrows_memory_unannounced_moves_to_disk_with_the_same_lines(tmp_path):
    from kg import graph as kg_graph

    def fill(sink) -> None:  # every kind of term the builder writes, quotes and newlines included
        for i in range(40):
            node = f"https://example.org/kg/resource/n{i}"
            sink.iri(node, kg_graph._P_TYPE, kg_graph._C_DOCUMENT)
            sink.lit(node, kg_graph._P_LABEL, f'名字 "{i}"\n\\', kg_graph._lang("名字", "zh-Hant"))
            sink.lit(node, kg_graph._P_SENTENCE_START, str(i), kg_graph._DT_INTEGER)
            sink.lit(node, kg_graph._P_CONFIDENCE, kg_graph._dec(i / 7), kg_graph._DT_DECIMAL)
            sink.lit(node, kg_graph._P_APPROXIMATE, kg_graph._bool(i % 2), kg_graph._DT_BOOLEAN)
            sink.lit(node, kg_graph._P_IDENTIFIER, f"doc{i}", "")

    memory = kg_graph._Sink(10**6, None)
    fill(memory)
    disk = kg_graph._Sink(30, tmp_path / "work")  # no expect(): passes the limit mid-way
    fill(disk)
    in_memory, on_disk = memory.graph(), disk.graph()
    try:
        assert not in_memory.on_disk and on_disk.on_disk
        assert on_disk.serialize("nt") == in_memory.serialize("nt")
        assert len(on_disk) == len(in_memory) == 240
    finally:
        on_disk.close()


@pytest.fixture
def on_disk(corpus, tmp_path, monkeypatch, capsys):
    """(an on-disk graph of the corpus, its stored analyses); the graph is closed afterwards."""
    kg(["build", str(corpus), "-o", str(tmp_path / "built"), "--jobs", "1"], monkeypatch, capsys)
    results = list(stored_results(tmp_path / "built"))
    graph = assemble(lambda: iter(results), tmp_path / "work", limit=50)
    try:
        yield graph, results
    finally:
        graph.close()


def test_two_processes_write_the_outputs_of_one(on_disk, tmp_path, monkeypatch):
    import os

    from kg import export

    graph, results = on_disk
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    export.write_build_outputs(graph, serial)
    done = []
    export.write_build_outputs(graph, parallel, parallel=True, then=lambda: done.append(os.getpid()))
    for name in OUTPUTS:
        assert (parallel / name).read_bytes() == (serial / name).read_bytes(), name
    assert done == [os.getpid()]
    # the HTML page and GraphML come from another process, which reads the N-Triples, not the store
    monkeypatch.setitem(export.EXPORTERS, "html", lambda kg: f"{os.getpid()} {len(kg)} {kg.store is None}")
    export.write_build_outputs(graph, parallel, parallel=True)
    pid, size, no_store = (parallel / "graph.html").read_text().split()
    assert int(pid) != os.getpid() and int(size) == len(graph) and no_store == "True"
    # an error there is raised here, after this process's own outputs
    def fails(kg):
        raise export.ConfigError("no room for the page", fix="free some space")

    monkeypatch.setitem(export.EXPORTERS, "html", fails)
    (parallel / "triples.csv").unlink()
    with pytest.raises(export.ConfigError, match="no room for the page; free some space"):
        export.write_build_outputs(graph, parallel, parallel=True)
    assert (parallel / "triples.csv").read_bytes() == (serial / "triples.csv").read_bytes()
    # an in-memory graph is written by this process alone
    small = build_graph(results)
    monkeypatch.setitem(export.EXPORTERS, "html", lambda kg: str(os.getpid()))
    export.write_build_outputs(small, tmp_path / "small", parallel=True)
    assert (tmp_path / "small" / "graph.html").read_text() == str(os.getpid())


def test_the_n_triples_view_reads_what_a_graph_in_memory_holds(on_disk):
    """The view a forked writer uses reads the canonical N-Triples (no store): the same stats,
    fact rows, entity rows and networkx view as the graph built in memory."""
    from kg.export import EXPORTERS

    graph, results = on_disk
    view = graph.nt_view()
    assert view.store is None and len(view) == len(graph)
    with pytest.raises(RuntimeError, match="no rdflib graph"):
        view.query("SELECT * WHERE { ?s ?p ?o }")
    in_memory = build_graph(results)
    assert view.stats() == in_memory.stats()
    for fmt in ("csv", "entities", "graphml"):
        assert EXPORTERS[fmt](view) == EXPORTERS[fmt](in_memory), fmt
    view.close()
    assert graph.canonical_nt.exists()  # the view deletes nothing


@pytest.mark.parametrize("lexical, tag", [
    ('他说："涨了 5%"\\ 又\n换行\r', ""), ("700.0", "^^<http://www.w3.org/2001/XMLSchema#decimal>"),
    ("0.125", "^^<http://www.w3.org/2001/XMLSchema#decimal>"), ("12", "^^<http://www.w3.org/2001/XMLSchema#integer>"),
    ("2024-02-29", "^^<http://www.w3.org/2001/XMLSchema#date>"), ("true", "^^<http://www.w3.org/2001/XMLSchema#boolean>"),
    ("中国电信", "@zh-Hans"), ("中國電信", "@zh-Hant"), ("x", "^^<https://example.org/dt>"),
])
def test_a_literal_read_from_n_triples_is_the_term_the_builder_made(lexical, tag):
    """What the N-Triples view reads (graph._nt_object) of a literal the builder wrote is the
    term it makes for a graph in memory, and its text is that term's (graph._lexical)."""
    from rdflib import Literal

    from kg import graph as G

    built = Literal(lexical, **G._tag_terms(tag))
    line = f"<https://e.org/s> <https://e.org/p> {G._nt_literal(lexical, tag)} .\n"
    s, _, o = line.split(" ", 2)
    assert G._nt_object(o[:-3], False) == built
    assert G._nt_object(o[:-3], True) == G._lexical(built) == lexical
    assert G._nt_node(s) == URIRef("https://e.org/s")


# ---------------------------------------------------------------- two processes assemble one graph

MORE = [  # the same fact in documents that the two processes share between them
    {"id": f"c{i}", "text": f"{lead}OpenAI於2月16日發布了文生視頻模型Sora。"}
    for i, lead in enumerate(["據報道，", "消息稱，", "昨日，"], start=1)
]


def _selectable(results: list):
    """A ``results`` callable as ``State.results`` is one: ``select`` takes positions."""
    return lambda select=None: (r for i, r in enumerate(results) if select is None or select(i))


def test_two_processes_assemble_the_bytes_of_one(tmp_path, monkeypatch, capsys):
    from kg import graph as kg_graph

    monkeypatch.setattr(kg_graph._Chunks, "CHUNK", 1)  # one document at a time: both processes take some
    out = tmp_path / "out"
    kg(["build", str(write_jsonl(tmp_path / "in.jsonl", A + B + MORE)), "-o", str(out)], monkeypatch, capsys)
    results = _selectable(list(stored_results(out)))
    graphs = [assemble(results, tmp_path / f"work{jobs}", limit=50, jobs=jobs) for jobs in (1, 2)]
    try:
        one, two = graphs
        assert one.on_disk and two.on_disk
        assert two.serialize("nt") == one.serialize("nt")
        assert two.stats() == one.stats() and one.stats()["documents"] == 7
        # the fact four documents give (shared by both processes) has the confidence of all four
        sora = [r for r in one.fact_rows() if r["object"] == "Sora"]
        assert len(sora) == 4 and {r["document"] for r in sora} >= {"a2", "c1", "c2", "c3"}
        assert two.fact_rows() == one.fact_rows()
    finally:
        for graph in graphs:
            graph.close()


def test_an_error_in_the_forked_share_is_raised_and_nothing_is_left(tmp_path, monkeypatch, capsys):
    from kg.errors import GraphLoadError

    out = tmp_path / "out"
    kg(["build", str(write_jsonl(tmp_path / "in.jsonl", A + B + MORE)), "-o", str(out)], monkeypatch, capsys)
    stored = list(stored_results(out))

    parent = os.getpid()
    passes = []  # the parent's passes begun (a forked process sees those begun before it started)

    def results(select=None):
        if os.getpid() == parent:
            passes.append(select)
        elif passes:  # the forked process's share of the documents' triples (the second pass)
            raise GraphLoadError("cannot read document 'x' from the build state", fix="rebuild")
        return (r for i, r in enumerate(stored) if select is None or select(i))

    work = tmp_path / "work"
    with pytest.raises(GraphLoadError, match="cannot read document"):
        assemble(results, work, limit=50, jobs=2)
    assert not any(work.glob(".kg-sort-*"))  # the parent's runs are gone with the failed build


def test_state_results_select_positions_also_in_a_forked_process(tmp_path, monkeypatch, capsys):
    from kg.forked import InFork
    from kg.state import STATE_FILE, State

    def _resolved_there(i: int) -> bool:
        return i % 5 >= 3

    out = tmp_path / "out"
    kg(["build", str(write_jsonl(tmp_path / "in.jsonl", A + B + MORE)), "-o", str(out)], monkeypatch, capsys)
    state = State(out / STATE_FILE)
    try:
        ids = [r.document.id for r in state.results()]
        assert ids == sorted(ids) and len(ids) == 7
        assert [r.document.id for r in state.results(_resolved_there)] == [i for k, i in enumerate(ids) if k % 5 >= 3]
        # a forked process reads through its own connection (the parent's stays usable)
        forked = InFork(lambda: [r.document.id for r in state.results(_resolved_there)]).wait()
        assert forked == [i for k, i in enumerate(ids) if k % 5 >= 3]
        assert [r.document.id for r in state.results()] == ids
    finally:
        state.close()


_CODED = [  # names that stock codes merge, and names that stay apart
    (Mention(0, 4, "腾讯控股", "COMPANY", "腾讯控股", "crf"), "d1", "zh-Hans"),
    (Mention(0, 4, "騰訊控股", "COMPANY", "騰訊控股", "crf"), "d2", "zh-Hant"),
    (Mention(9, 11, "腾讯", "ORG", "腾讯", "crf", code="00700"), "d2", "zh-Hans"),
    (Mention(0, 2, "小米", "COMPANY", "小米", "lexicon"), "d3", "zh-Hans"),
    (Mention(20, 24, "腾讯控股", "COMPANY", "腾讯控股", "crf", code="0700.HK"), "d3", "zh-Hans"),
    (Mention(5, 9, "小米集团", "COMPANY", "小米集团", "crf", code="01810"), "d4", "zh-Hans"),
    (Mention(0, 2, "雷军", "PERSON", "雷军", "crf"), "d4", "zh-Hans"),
    (Mention(3, 7, "小米集團", "COMPANY", "小米集團", "crf", code="1810.HK"), "d5", "zh-Hant"),
    (Mention(0, 6, "Xiaomi", "COMPANY", "xiaomi", "crf", code="01810"), "d5", "en"),
    (Mention(0, 2, "鹅厂", "ORG", "鹅厂", "crf", code="0700.HK"), "d6", "zh-Hans"),
    (Mention(0, 1, "其", "COMPANY", "小米集团", "coref"), "d5", "zh-Hans"),
]


def _entities(resolver: Resolver) -> dict:
    return {key: (e.key, e.types, {s: dict(c) for s, c in e.surfaces.items()}, e.norms, e.codes, e.from_lexicon)
            for key, e in resolver.entities().items()}


@pytest.mark.parametrize("split", range(len(_CODED) + 1))
def test_merged_resolvers_give_the_entities_of_one(split):
    whole, first, second = Resolver(), Resolver(), Resolver()
    for k, (m, d, s) in enumerate(_CODED):
        whole.add(m, d, s)
        (first if k < split else second).add(m, d, s)
    first.merge(second)
    assert _entities(first) == _entities(whole)
    assert len({id(e) for e in whole.entities().values()}) < len(whole.entities())  # stock codes did merge names


@given(lines, st.integers(0, 40))
@settings(max_examples=40, deadline=None)
def test_sorted_lines_adopt_the_runs_another_hands_over(items, split):
    items = [i for i in items if "\n" not in i]
    with SortedLines(chunk=3) as mine, SortedLines(chunk=3) as theirs:
        mine.extend(items[:split])
        theirs.extend(items[split:])
        mine.adopt(theirs.hand_over())
        assert list(theirs) == []
        assert list(mine) == sorted(set(items))


def _nt_lines(n: int, start: int = 0) -> list[str]:
    return [f'<http://example.org/s{i % 7}> <http://example.org/p> "v{i}" .' for i in range(start, start + n)]


@pytest.mark.parametrize("linkable", [True, False])
def test_the_store_loads_the_sorted_runs_as_they_are_written(tmp_path, monkeypatch, linkable):
    """The loader takes each run as the external sort writes it (a hard link it deletes once
    loaded), a forked process's adopted runs too, and optimises at the end; without hard links it
    loads the merged file instead. Either way the store holds exactly the merged lines."""
    import os

    import pyoxigraph as ox

    from kg import graph as kg_graph

    if not linkable:
        def no_link(*args):
            raise OSError("no hard links here")

        monkeypatch.setattr(os, "link", no_link)
    store = ox.Store()
    loader = kg_graph._Loader(store)
    lines = SortedLines(tmp_path, chunk=10)
    lines.on_run = loader.add
    lines.extend(_nt_lines(35))  # three runs of ten, five held
    other = SortedLines(tmp_path, chunk=10)  # a forked process's share, lines repeated across runs
    other.extend(_nt_lines(25, start=20))
    lines.adopt(other.hand_over())
    nt = tmp_path / "graph.nt"
    with lines:
        assert lines.write(nt) == 45
    loader.finish(nt)
    loader.join()
    assert loader.error is None
    assert {str(q.triple) + " ." for q in store.quads_for_pattern(None, None, None)} == set(nt.read_text().splitlines())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.nt"]  # runs and their links gone


def test_a_failed_assembly_stops_the_store_loader(corpus, tmp_path, monkeypatch, capsys):
    import threading

    out = tmp_path / "out"
    kg(["build", str(corpus), "-o", str(out)], monkeypatch, capsys)
    results = list(stored_results(out))

    passes = []

    def failing():  # the resolution's pass reads everything; the triples' pass fails after one document
        passes.append(1)
        yield from results if len(passes) == 1 else results[:1]
        if len(passes) > 1:
            raise OSError("the state went away")

    started = threading.Thread.start
    loaders = []

    def start(thread):
        loaders.append(thread)
        started(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(OSError, match="went away"):
        assemble(failing, tmp_path / "work", limit=1)
    assert [t.name for t in loaders] == ["kg-store-load"]  # the triples went to disk, with a loader
    assert not loaders[0].is_alive()


def test_two_processes_take_every_chunk_of_positions_once():
    """The processes of a pass share the documents chunk by chunk as they ask: every position is
    taken by exactly one, each asks in increasing order and gets the same answer when asking again."""
    from kg.forked import InFork
    from kg.graph import _Chunks

    here, there = _Chunks.pair()
    n = 10 * _Chunks.CHUNK + 7

    def take(select) -> list[int]:
        mine = [i for i in range(n) if select(i)]
        assert mine == [i for i in range(n) if select(i)]  # asked again: the same answers
        return mine

    forked = InFork(take, there)
    ours = take(here)
    theirs = forked.wait()
    assert sorted(ours + theirs) == list(range(n))
    assert not set(ours) & set(theirs)
    assert all(len({i // _Chunks.CHUNK for i in share}) == len(share) // _Chunks.CHUNK + (len(share) % _Chunks.CHUNK > 0)
               for share in (ours, theirs) if share)  # whole chunks (the last one may be short)
    with pytest.raises(RuntimeError, match="increasing order"):
        late = _Chunks.pair()[0]
        late(5 * _Chunks.CHUNK)  # takes chunk 0, which is behind position 5 * CHUNK


def test_the_system_sort_is_not_stopped_after_its_last_line(tmp_path, monkeypatch):
    """sort may still be exiting when its output ends: the merge must wait for it, not kill it
    (a killed sort made the merge fail now and then)."""
    import stat

    real = shutil.which("sort")
    if real is None:
        pytest.skip("no system sort")
    slow = tmp_path / "sort"  # the real sort, then a moment with its output closed before it exits
    slow.write_text(f'#!/bin/sh\n"{real}" "$@" || exit $?\nexec >&-\nsleep 0.5\n')
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr("kg.canonical.shutil.which", lambda name: str(slow) if name == "sort" else None)
    with SortedLines(chunk=2) as sorter:
        sorter.extend(["c", "a", "b", "a", "d"])
        assert list(sorter) == ["a", "b", "c", "d"]
