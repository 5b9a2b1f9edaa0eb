"""kg serve: the SPARQL 1.1 Protocol endpoint and the browse pages, driven over real HTTP.

One server (uvicorn in a thread, pyoxigraph worker processes) on a free loopback port
serves the sample graph plus one document whose company name is an HTML script tag. The
protocol side is exercised with SPARQLWrapper, a client written by others; raw requests
(path traversal, Host header) use http.client, which sends paths exactly as given.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import subprocess
import sys
import threading
import time
import urllib.error
import xml.dom.minidom
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

import kg
from kg.graph import KnowledgeGraph
from kg.model import Document
from kg.server.run import Settings, running

HOSTILE = "<script>alert(1)</script>公司"
TELECOM = "https://w3id.org/kgzh/id/org/中国电信"
TIMEOUT = 2.0
MAX_RESULTS = 300
MAX_BODY = 20_000
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
RELEASED = "SELECT ?o WHERE { ?s kg:released ?o ; rdfs:label \"OpenAI\" } ORDER BY ?o"


@pytest.fixture(scope="module")
def graph_file(sample_graph, tmp_path_factory) -> Path:
    hostile = kg.build([Document(id="x", text=f"{HOSTILE}发布了产品“天穹”。", hints=((HOSTILE, "COMPANY"),))], use_crf=False)
    merged = KnowledgeGraph(sample_graph.rdf + hostile.rdf)
    path = tmp_path_factory.mktemp("served") / "graph.ttl"
    path.write_text(merged.serialize("turtle"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base(graph_file):
    settings = Settings(port=0, timeout=TIMEOUT, max_results=MAX_RESULTS, max_body=MAX_BODY, workers=2)
    with running(graph_file, settings) as url:
        yield url


@pytest.fixture(scope="module")
def web(base):
    with httpx.Client(base_url=base, timeout=30) as client:
        yield client


def client(base: str, query: str, fmt: str) -> SPARQLWrapper:
    sw = SPARQLWrapper(base + "/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    return sw


# ---------------------------------------------------------------- SPARQL 1.1 Protocol


def test_select_json_with_predeclared_prefixes(base):
    result = client(base, RELEASED, JSON).queryAndConvert()
    names = {b["o"]["value"].rsplit("/", 1)[-1] for b in result["results"]["bindings"]}
    assert {"sora", "chatgpt"} <= names


def test_select_xml(base):
    doc = client(base, RELEASED, XML).queryAndConvert()
    assert isinstance(doc, xml.dom.minidom.Document)
    uris = [u.firstChild.data for u in doc.getElementsByTagName("uri")]
    assert any(u.endswith("/sora") for u in uris)


def test_select_csv_and_tsv(base):
    rows = list(csv.reader(io.StringIO(client(base, RELEASED, CSV).queryAndConvert().decode("utf-8"))))
    assert rows[0] == ["o"] and any(r[0].endswith("/sora") for r in rows[1:])
    tsv = client(base, RELEASED, TSV).queryAndConvert().decode("utf-8").splitlines()
    assert tsv[0] == "?o" and any(line.endswith("/sora>") for line in tsv[1:])


def test_ask(base):
    assert client(base, "ASK { ?s kg:hasStockCode \"00728\" }", JSON).queryAndConvert()["boolean"] is True


def test_construct_turtle_and_jsonld(base):
    query = "CONSTRUCT { ?s kg:hasStockCode ?c } WHERE { ?s kg:hasStockCode ?c }"
    turtle = client(base, query, TURTLE).queryAndConvert()
    g = Graph().parse(data=turtle, format="turtle")
    codes = {str(o) for o in g.objects()}
    assert {"00728", "00941", "00763"} <= codes
    via_jsonld = client(base, query, JSONLD).queryAndConvert()  # SPARQLWrapper parses it with rdflib
    assert {str(o) for o in via_jsonld.objects()} == codes
    from pyld import jsonld  # and a second JSON-LD processor agrees

    doc = httpx.get(base + "/sparql", params={"query": query}, headers={"Accept": "application/ld+json"}).json()
    values = {v["@value"] for node in jsonld.expand(doc) for vs in node.values() if isinstance(vs, list) for v in vs if "@value" in v}
    assert values == codes


def test_construct_ntriples(web):
    r = web.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s kg:hasStockCode ?c }"}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-triples")
    assert len(Graph().parse(data=r.text, format="nt")) >= 3


def test_post_form_and_direct_post(base):
    for method, request_method in ((POST, None), (POST, POSTDIRECTLY)):
        sw = client(base, RELEASED, JSON)
        sw.setMethod(method)
        if request_method:
            sw.setRequestMethod(request_method)
        assert any(b["o"]["value"].endswith("/sora") for b in sw.queryAndConvert()["results"]["bindings"])


def test_accept_negotiation_and_format_parameter(web):
    q = {"query": RELEASED}
    assert web.get("/sparql", params=q).headers["content-type"].startswith("application/sparql-results+json")  # default
    r = web.get("/sparql", params=q, headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml"})
    assert r.headers["content-type"].startswith("application/sparql-results+xml")
    r = web.get("/sparql", params={**q, "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    r = web.get("/sparql", params=q, headers={"Accept": "image/png"})
    assert r.status_code == 406 and "application/sparql-results+json" in r.text


def test_negotiate_honours_q_values_and_wildcards():
    from kg.server.app import _GRAPH_TYPES, _RESULT_TYPES, negotiate

    assert negotiate(None, _RESULT_TYPES) == "json" and negotiate("", _GRAPH_TYPES) == "turtle"
    assert negotiate("*/*", _RESULT_TYPES) == "json"
    assert negotiate("text/csv;q=0.9, application/sparql-results+json;q=0.1", _RESULT_TYPES) == "csv"
    assert negotiate("text/*", _RESULT_TYPES) == "xml"  # text/xml: the first text type the server offers
    assert negotiate("text/tab-separated-values, text/*;q=0.5", _RESULT_TYPES) == "tsv"
    assert negotiate("application/ld+json;q=0.5, text/turtle;q=0", _GRAPH_TYPES) == "jsonld"
    assert negotiate("image/png", _RESULT_TYPES) is None
    assert negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", _RESULT_TYPES) == "xml"


def test_queries_may_declare_their_own_prefixes(web):
    q = "PREFIX kg: <https://w3id.org/kgzh/ontology#> PREFIX ex: <http://example.org/> SELECT ?c WHERE { ?s kg:hasStockCode ?c } ORDER BY ?c"
    r = web.get("/sparql", params={"query": q}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and "00728" in r.text


def test_updates_are_refused(base, web):
    update = "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }"
    sw = SPARQLWrapper(base + "/sparql")
    sw.setMethod(POST)
    sw.setQuery(update)  # SPARQLWrapper sends it as update=...
    with pytest.raises(urllib.error.HTTPError) as err:
        sw.query()
    assert err.value.code == 403
    assert web.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update"}).status_code == 403
    assert web.post("/sparql", data={"update": update}).status_code == 403
    sent_as_query = web.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"})
    assert sent_as_query.status_code == 403 and "read-only" in sent_as_query.text
    # and nothing changed
    assert client(base, "ASK { <http://example.org/a> ?p ?o }", JSON).queryAndConvert()["boolean"] is False


def test_malformed_query_is_400_with_the_parser_message(base):
    with pytest.raises(QueryBadFormed) as err:
        client(base, "SELECT ?s WHERE { ?s ?p }", JSON).query()
    assert "malformed SPARQL query" in str(err.value) and "error at 1:" in str(err.value)


def test_missing_query_and_unsupported_body(web):
    assert web.get("/sparql").status_code == 400
    assert web.get("/sparql", headers={"Accept": "text/html"}, follow_redirects=False).status_code == 303
    assert web.post("/sparql", content="x", headers={"Content-Type": "text/plain"}).status_code == 415


def test_slow_query_is_cut_and_the_server_keeps_answering(base, web):
    outcome = {}

    def slow() -> None:
        started = time.monotonic()
        outcome["response"] = httpx.get(base + "/sparql", params={"query": SLOW}, timeout=30)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    quick = web.get("/sparql", params={"query": RELEASED})  # the other worker answers meanwhile
    assert quick.status_code == 200 and time.monotonic() - started < 1.0
    thread.join()
    r = outcome["response"]
    assert r.status_code == 503 and "--timeout" in r.text
    assert TIMEOUT <= outcome["seconds"] < TIMEOUT + 3
    for _ in range(4):  # the killed worker is replaced; queries keep working
        assert web.get("/sparql", params={"query": RELEASED}).status_code == 200
    page = web.get("/query", params={"query": SLOW})  # the browse pages share the limit
    assert 'id="query-error"' in page.text and "query cancelled" in page.text


def test_results_are_capped(web):
    r = web.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert len(r.json()["results"]["bindings"]) == MAX_RESULTS
    assert "--max-results" in r.headers["x-kg-truncated"]
    r = web.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/n-triples"})
    assert len(r.text.strip().splitlines()) == MAX_RESULTS and "x-kg-truncated" in r.headers
    small = web.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    assert len(small.json()["results"]["bindings"]) == 5 and "x-kg-truncated" not in small.headers


def test_request_body_is_capped(base, web):
    padding = "#" + "x" * MAX_BODY + "\n"
    r = web.post("/sparql", content=padding + RELEASED, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413 and "--max-body" in r.text
    sw = client(base, padding + RELEASED, JSON)
    sw.setMethod(POST)
    with pytest.raises(urllib.error.HTTPError) as err:
        sw.query()
    assert err.value.code == 413


# ---------------------------------------------------------------- browse pages


def test_search_in_either_script_and_by_stock_code(web):
    for q in ("中国电信", "中國電信", "00728"):
        page = web.get("/search", params={"q": q}).text
        assert "/entity?iri=" + quote(TELECOM, safe="/") in page, q
    assert "Nothing matches" in web.get("/search", params={"q": "不存在的公司"}).text


def test_entity_page_has_types_labels_facts_and_highlighted_evidence(web):
    page = web.get("/entity", params={"iri": TELECOM}).text
    assert "<h1" in page and "中國電信" in page and "Company" in page
    assert "中国电信" in page and "00728" in page  # Simplified alias, stock code
    assert "owns" in page and '<mark class="subj">中國電信</mark>' in page
    assert "/document?iri=" in page
    openai = web.get("/entity", params={"iri": "https://w3id.org/kgzh/id/org/openai"}).text
    assert '<mark class="subj">OpenAI</mark>釋出首個文生影片模型“<mark class="obj">Sora</mark>' in openai


def test_document_page(web):
    doc = "https://w3id.org/kgzh/id/doc/000_86f5fe8a0223e3b1"
    page = web.get("/document", params={"iri": doc}).text
    assert "000_86f5fe8a0223e3b1" in page and "中國電信現擁有700多個數據中心" in page
    assert web.get("/document", params={"iri": TELECOM}).status_code == 404


def test_neighbourhood_json(web):
    data = web.get("/api/neighbourhood", params={"iri": TELECOM}).json()
    labels = {n["label"] for n in data["nodes"]}
    assert "中國電信" in labels and "700多個數據中心" in labels
    assert all(e["sentences"] for e in data["edges"])
    assert {"type": "Company", "color": "#4e79a7"} in data["legend"]


def test_query_page_lists_and_runs_the_examples(web):
    page = web.get("/query").text
    for name in ("released", "stock_codes", "china_telecom_owns"):
        assert f"/query?example={name}" in page
    result = web.get("/query", params={"example": "stock_codes"}).text
    assert "00728" in result and 'id="results"' in result
    broken = web.get("/query", params={"query": "SELECT {"}).text
    assert 'id="query-error"' in broken and "malformed" in broken


def test_labels_are_escaped_everywhere(web):
    search = web.get("/search", params={"q": "script"}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;公司" in search
    iri = next(h for h in search.split('href="')[1:] if h.startswith("/entity?iri="))
    entity = web.get(iri.split('"')[0].replace("&amp;", "&")).text
    for page in (search, entity):
        assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;公司" in entity
    reflected = web.get("/query", params={"query": "SELECT * WHERE { ?s ?p '</textarea><script>alert(1)</script>' }"}).text
    assert "<script>alert" not in reflected and "&lt;/textarea&gt;" in reflected
    error = web.get("/entity", params={"iri": "<script>alert(1)</script>"})
    assert error.status_code == 400 and "<script>alert" not in error.text
    assert "script-src 'self'" in error.headers["content-security-policy"]


def _raw_get(base: str, path: str, host: str | None = None) -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("GET", path, skip_host=host is not None)
    if host is not None:
        conn.putheader("Host", host)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2f%2e%2e%2fserver%2fapp.py",
        "/static/vis/../../app.py",
        "/static/vis/..%2f..%2f..%2f..%2fnetwork.py",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/..%5c..%5capp.py",
    ],
)
def test_no_path_traversal_through_static_files(base, path):
    status, body = _raw_get(base, path)
    assert status in (400, 404), (path, status)
    assert b"import" not in body and b"root:" not in body


def test_static_files_are_served_locally(web):
    assert web.get("/static/style.css").status_code == 200
    js = web.get("/static/vis/vis-network.min.js")
    assert js.status_code == 200 and "DataSet" in js.text


def test_foreign_host_header_is_refused(base):
    assert _raw_get(base, "/", host="evil.example")[0] == 400
    assert _raw_get(base, "/", host=urlsplit(base).netloc)[0] == 200


# ---------------------------------------------------------------- the command


def test_serve_command_binds_loopback_and_answers(sample_output):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(sample_output), "--port", "0", "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert " at http://127.0.0.1:" in line, line + proc.stderr.read() if proc.poll() is not None else line
        url = line.split(" at ", 1)[1].split("/ ", 1)[0]
        r = httpx.get(url + "/sparql", params={"query": "ASK { ?s kg:hasStockCode \"00728\" }"}, timeout=10)
        assert r.json()["boolean"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _cli(monkeypatch, capsys, *args) -> tuple[int, str]:
    from kg.cli import main

    monkeypatch.setattr(sys, "argv", ["kg", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return exit_.value.code, capsys.readouterr().err


def test_serve_command_errors_are_one_line(tmp_path, monkeypatch, capsys):
    code, err = _cli(monkeypatch, capsys, "serve", str(tmp_path / "nope.ttl"))
    assert code == 2 and err.count("\n") == 1 and "graph file not found" in err
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle <", encoding="utf-8")
    code, err = _cli(monkeypatch, capsys, "serve", str(bad), "--port", "0", "--workers", "1")
    assert code == 2 and err.startswith("kg: error: cannot load") and "Traceback" not in err


def test_a_taken_port_is_one_clear_error():
    from kg.errors import ConfigError
    from kg.server.run import bind

    taken = bind("127.0.0.1", 0)
    try:
        with pytest.raises(ConfigError, match="cannot listen on 127.0.0.1"):
            bind("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


def test_named_graph_files_are_queried_as_one_graph(sample_graph, tmp_path):
    from kg.export import export
    from kg.server.engine import Engine

    path = tmp_path / "graph.nq"
    export(sample_graph, "nq", path)
    engine = Engine(path, workers=1).start()
    try:
        reply = engine.run('ASK { ?s kg:hasStockCode "00728" }')
        assert reply.status == 200 and json.loads(reply.body)["boolean"] is True
    finally:
        engine.close()
