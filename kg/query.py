"""SPARQL over a KnowledgeGraph, and result formatting for the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.query import Result

from kg.errors import QueryError
from kg.graph import KnowledgeGraph
from kg.namespaces import PREFIXES

__all__ = ["read_query", "run_query", "format_result", "FORMATS"]

FORMATS = ("table", "csv", "tsv", "json")


def read_query(text_or_path: str) -> str:
    """A query given inline, or the contents of a ``.rq``/``.sparql`` file."""
    path = Path(text_or_path)
    if text_or_path.endswith((".rq", ".sparql")):
        if not path.is_file():
            raise QueryError(f"query file not found: {path}", fix="check the path of the .rq file")
        return path.read_text(encoding="utf-8")
    return text_or_path


def run_query(kg: KnowledgeGraph, sparql: str) -> Result:
    if not sparql.strip():
        raise QueryError("empty SPARQL query", fix="give a query such as 'SELECT * WHERE { ?s ?p ?o } LIMIT 10'")
    return kg.query(sparql)


def _short(term) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        iri = str(term)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if iri.startswith(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri
    if isinstance(term, Literal):
        return str(term)
    return str(term)


def format_result(result: Result, fmt: str = "table") -> str:
    if fmt not in FORMATS:
        raise QueryError(f"unknown result format {fmt!r}", fix="choose from " + ", ".join(FORMATS))
    if result.type == "ASK":
        return json.dumps({"boolean": bool(result.askAnswer)}) if fmt == "json" else str(bool(result.askAnswer)).lower()
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return result.graph.serialize(format="json-ld" if fmt == "json" else "turtle")
    if fmt == "json":
        return result.serialize(format="json").decode("utf-8")
    names = [str(v) for v in result.vars]
    rows = [[_short(row[i]) for i in range(len(names))] for row in result]
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    from rich.table import Table
    from rich.console import Console

    table = Table(*names, show_lines=False)
    for row in rows:
        table.add_row(*row)
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    console.print(table)
    console.print(f"{len(rows)} row(s)")
    return console.file.getvalue().rstrip("\n")
