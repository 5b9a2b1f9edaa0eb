"""A query worker process for ``kg serve`` (see kg.server.engine).

Run as a script by the engine — ``python worker.py FD_IN FD_OUT`` — so that it starts in a
fraction of a second: it imports only the standard library and pyoxigraph (rdflib's SPARQL
grammar only when a query fails to parse, to tell an Update from a typo), never the ``kg``
package. Messages are pickled over two pipes (multiprocessing.connection):

* parent -> worker, first: ``{"path", "prefixes", "max_results"}``; then ``(query, results_format, graph_format)``
* worker -> parent: ``("ready", triples)`` or ``("error", message)``; then ``(status, media_type, body, headers)``

SELECT results are written as SPARQL TSV first — one line per row, terms in N-Triples
syntax, so lossless — cut after ``max_results`` rows, and re-serialised by pyoxigraph into
the format asked for: no result format is written by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: SELECT / ASK result formats: short name -> media type.
RESULT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
#: CONSTRUCT / DESCRIBE formats: short name -> media type.
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}
_OX_RESULTS = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV"}
_OX_GRAPH = {"turtle": "TURTLE", "jsonld": "JSON_LD", "ntriples": "N_TRIPLES", "rdfxml": "RDF_XML"}


class _Full(Exception):
    """Raised from inside a serialiser's write() once enough rows are written."""


class LineCap:
    """A binary sink keeping the first ``lines`` lines written to it; ``cut`` tells
    whether anything came after them (the serialiser is stopped right there)."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.buf = bytearray()
        self.seen = 0
        self.cut = False

    def write(self, data: bytes) -> int:
        start = 0
        while self.seen < self.lines:
            nl = data.find(b"\n", start)
            if nl < 0:
                self.buf += data[start:]
                return len(data)
            self.buf += data[start : nl + 1]
            self.seen += 1
            start = nl + 1
        if start < len(data):
            self.cut = True
            raise _Full
        return len(data)

    def flush(self) -> None:
        pass


def looks_like_update(text: str) -> bool:
    """True when ``text`` parses as SPARQL 1.1 Update (rdflib's grammar; nothing is run)."""
    try:
        from rdflib.plugins.sparql.parser import parseUpdate

        parseUpdate(text)
        return True
    except Exception:  # noqa: BLE001 - any parse failure means "not an update"
        return False


def _truncated(n: int, what: str) -> str:
    return f"results cut to the first {n} {what} (kg serve --max-results); page with LIMIT and OFFSET"


def _not_acceptable(what: str, formats: dict[str, str]) -> tuple:
    message = f"cannot answer {what} in the media type asked for (Accept); use one of {', '.join(formats.values())}\n"
    return (406, "text/plain", message.encode("utf-8"), {})


def answer(store, prefixes: dict[str, str], max_results: int, query: str, results_fmt: str | None, graph_fmt: str | None) -> tuple:
    """``(status, media_type, body, headers)`` for one query."""
    import pyoxigraph as ox

    try:
        result = store.query(query, prefixes=prefixes, use_default_graph_as_union=True)
    except SyntaxError as err:
        if looks_like_update(query):
            return (403, "text/plain", b"SPARQL Update is not allowed: this endpoint is read-only\n", {})
        return (400, "text/plain", f"malformed SPARQL query: {err}\n".encode(), {})
    headers: dict[str, str] = {}
    if isinstance(result, ox.QueryBoolean):
        if results_fmt is None:
            return _not_acceptable("an ASK query", RESULT_FORMATS)
        fmt = getattr(ox.QueryResultsFormat, _OX_RESULTS[results_fmt])
        return (200, RESULT_FORMATS[results_fmt], result.serialize(format=fmt), headers)
    if isinstance(result, ox.QuerySolutions):
        if results_fmt is None:
            return _not_acceptable("a SELECT query", RESULT_FORMATS)
        sink = LineCap(max_results + 1)  # the header line + max_results rows
        try:
            result.serialize(sink, format=ox.QueryResultsFormat.TSV)
        except _Full:
            pass
        tsv = bytes(sink.buf)
        if sink.cut:
            headers["X-KG-Truncated"] = _truncated(max_results, "rows")
        if results_fmt == "tsv":
            return (200, RESULT_FORMATS["tsv"], tsv, headers)
        solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        fmt = getattr(ox.QueryResultsFormat, _OX_RESULTS[results_fmt])
        return (200, RESULT_FORMATS[results_fmt], solutions.serialize(format=fmt), headers)
    if graph_fmt is None:
        return _not_acceptable("a CONSTRUCT or DESCRIBE query", GRAPH_FORMATS)
    triples = []
    for triple in result:
        if len(triples) == max_results:
            headers["X-KG-Truncated"] = _truncated(max_results, "triples")
            break
        triples.append(triple)
    fmt = getattr(ox.RdfFormat, _OX_GRAPH[graph_fmt])
    body = ox.serialize(triples, format=fmt, prefixes=prefixes if graph_fmt in ("turtle", "jsonld") else None)
    return (200, GRAPH_FORMATS[graph_fmt], body, headers)


def load(path: str):
    """The on-disk store at ``path`` opened read-only, or an in-memory pyoxigraph Store bulk-loaded
    from the file ``path`` (format by extension, else Turtle)."""
    import pyoxigraph as ox

    if Path(path).is_dir():
        return ox.Store.read_only(path)
    store = ox.Store()
    fmt = ox.RdfFormat.from_extension(Path(path).suffix.lstrip(".")) or ox.RdfFormat.TURTLE
    store.bulk_load(path=path, format=fmt)
    return store


def main(fd_in: int, fd_out: int) -> None:
    from multiprocessing.connection import Connection

    inbox, outbox = Connection(fd_in, writable=False), Connection(fd_out, readable=False)
    config = inbox.recv()
    try:
        store = load(config["path"])
    except Exception as err:  # noqa: BLE001 - reported to the parent as one line
        lines = str(err).strip().splitlines()
        outbox.send(("error", f"{type(err).__name__}: {lines[0] if lines else ''}"))
        return
    outbox.send(("ready", len(store)))
    prefixes, max_results = config["prefixes"], config["max_results"]
    while True:
        try:
            query, results_fmt, graph_fmt = inbox.recv()
        except (EOFError, OSError):
            return  # the server went away
        try:
            reply = answer(store, prefixes, max_results, query, results_fmt, graph_fmt)
        except Exception as err:  # noqa: BLE001 - one line back to the client; the worker lives on
            reply = (500, "text/plain", f"query failed: {type(err).__name__}: {err}\n".encode(), {})
        outbox.send(reply)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
