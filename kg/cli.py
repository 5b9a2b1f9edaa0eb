"""The command line: thin commands over the library.

Errors print one line (what, where, how to fix) and exit 2; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import gc
import json
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from kg.errors import KGError
from kg.nlp import DEFAULT_SEGMENTER

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    help="Build knowledge graphs from Chinese news (Traditional or Simplified).",
)
log = logging.getLogger("kg")
_state = {"debug": False, "exits_after": False}  # exits_after: run by main(), the process ends with the command

Lexicons = Annotated[
    list[Path] | None,
    typer.Option("--lexicon", "-l", help="Extra lexicon TSV (surface<TAB>TYPE[<TAB>canonical]); repeatable."),
]
NoModel = Annotated[bool, typer.Option("--no-model", help="Skip the statistical NER layer (lexicon + patterns only).")]
Strict = Annotated[bool, typer.Option("--strict", help="Stop at the first bad input (malformed JSONL line, undecodable file) instead of skipping it.")]


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(message)s" if not debug else "%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if version:
        from kg import __version__

        typer.echo(__version__)
        raise typer.Exit()


def _options(lexicon, no_model, segmenter=DEFAULT_SEGMENTER):
    """Options for a one-process command (extract)."""
    return _build_options(lexicon, no_model, 1, "local", None, segmenter)


Segmenter = Annotated[
    str,
    typer.Option("--segmenter", help="jieba-fast (the default: jieba-fast-dat, C++) or jieba (the pure-Python reference; "
                                     "same algorithm, 99.9 % the same tokens, see docs/performance.md)."),
]


Jobs = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, help="Worker processes (default: all cores); from 2 on, two processes also write the outputs. The output does not depend on it."),
]
Engine = Annotated[str, typer.Option("--engine", help="local (worker processes) or dask (a Dask cluster).")]
Scheduler = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address tcp://HOST:PORT (with --engine dask; default: a local cluster)."),
]


def _build_options(lexicon, no_model, jobs, engine, scheduler, segmenter=DEFAULT_SEGMENTER):
    from kg.api import Options
    from kg.engine import default_jobs
    from kg.nlp.tokenizer import check_segmenter

    check_segmenter(segmenter)  # one clear line now, not one per worker process
    return Options(
        lexicons=tuple(str(p) for p in lexicon or ()),
        use_crf=not no_model,
        jobs=jobs or default_jobs(),
        engine=engine,
        scheduler=scheduler,
        segmenter=segmenter,
    )


def _write_outputs(output: Path, store: Path | None = None, only_if_large: bool = False, parallel: bool = False):
    """The build's last step: its files (two processes at once with ``parallel``), then the store."""
    from kg.export import write_build_outputs

    def write(graph) -> None:
        from kg.store import AUTO_TRIPLES, DEFAULT_DIR, is_store, write_store

        def write_the_store() -> None:
            if store is not None and (not only_if_large or len(graph) >= AUTO_TRIPLES or is_store(store)):
                started = time.perf_counter()
                built = graph.store  # an on-disk graph's: copied, its size known; else graph.ttl is loaded
                n = write_store(built or output / "graph.ttl", store, size=len(graph) if built is not None else None)
                log.info("loaded %d triples into the Oxigraph store %s in %.1f s", n, store, time.perf_counter() - started)
            elif store is None and is_store(output / DEFAULT_DIR):
                shutil.rmtree(output / DEFAULT_DIR)  # stale: `kg query OUTPUT` must not answer from an older graph

        log.info("writing %s", output)
        write_build_outputs(graph, output, parallel=parallel, then=write_the_store)
        if _state["exits_after"]:
            # run as `kg`, the process ends soon: what the build made is frozen, so that neither
            # the collection that follows the build's pause of the collector (0.1-0.4 s) nor the
            # one at exit walks it
            gc.freeze()

    return write


def _report(graph, report, output: Path, quiet: bool) -> None:
    if quiet:
        return
    stats = graph.stats()
    counts = [
        (report.unchanged, "unchanged"),
        (report.reused, "reused from earlier builds"),
        (report.replaced, "replaced"),
        (len(report.duplicates), "duplicates skipped"),
        (len(report.empty), "empty"),
        (len(report.removed), "removed"),
    ]
    notes = [f"{n} {what}" for n, what in counts if n]
    typer.echo(
        f"{stats['documents']} documents, {stats['entities']} entities, {stats['facts']} facts "
        f"({stats['evidence']} evidence sentences, {stats['statements']} statements), "
        f"{stats['triples']} triples in {report.seconds:.1f} s -> {output}/ "
        f"[{report.analysed} analysed" + "".join(f", {n}" for n in notes) + "]"
    )


class Progress:
    """What ``kg build`` says while it analyses: a line at the 100th document, then at most one
    every :attr:`every_s` seconds (a 100 MB build analyses ~400 documents a second), each with
    the count, the time and the rate so far."""

    def __init__(self, every_s: float = 10.0, clock=time.perf_counter) -> None:
        self.every_s, self.clock = every_s, clock
        self.started = clock()
        self.last: float | None = None

    def __call__(self, n: int) -> None:
        if not n or n % 100:
            return
        now = self.clock()
        if self.last is not None and now - self.last < self.every_s:
            return
        self.last = now
        elapsed = now - self.started
        rate = f", {n / elapsed:,.0f} a second" if elapsed >= 1 else ""
        log.info("analysed %s documents (%.0f s%s)", f"{n:,}", elapsed, rate)


@app.command()
def build(
    inputs: Annotated[list[str] | None, typer.Argument(help="Files or directories (.txt .md .jsonl .html .htm); none = the embedded sample.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output directory.")] = Path("output"),
    append: Annotated[bool, typer.Option("--append", "-a", help="Add to the graph already in the output directory.")] = False,
    lexicon: Lexicons = None,
    no_model: NoModel = False,
    jobs: Jobs = None,
    engine: Engine = "local",
    scheduler: Scheduler = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors.")] = False,
    strict: Strict = False,
    segmenter: Segmenter = DEFAULT_SEGMENTER,
    store: Annotated[str, typer.Option("--store", help="Also write an on-disk Oxigraph store that `kg query` and `kg serve` open directly: oxigraph (= OUTPUT/store), oxigraph:DIR, memory (none) or auto (OUTPUT/store from 100,000 triples on, or when one exists).")] = "auto",
) -> None:
    """Build the graph and write graph.ttl, graph.html, graph.graphml and triples.csv (and kg-state.sqlite,
    which --append and `kg remove` update)."""
    from kg.incremental import update
    from kg.sources import ReadStats, read_documents, sample_documents
    from kg.store import parse_store

    store_dir, only_if_large = parse_store(store, output)
    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    read_stats = ReadStats()
    if inputs:
        log.info("reading and analysing %s", ", ".join(inputs))
        documents = read_documents(inputs, strict=strict, stats=read_stats)
    else:
        log.info("no input given: building the embedded sample article")
        documents = sample_documents()
    options = _build_options(lexicon, no_model, jobs, engine, scheduler, segmenter)
    graph, report = update(
        output, documents, options, mode="append" if append else "fresh",
        write=_write_outputs(output, store_dir, only_if_large, parallel=options.jobs > 1), progress=Progress(),
    )
    if read_stats.problems or read_stats.repaired:
        log.warning("%s", read_stats.summary())
    try:
        _report(graph, report, output, quiet)
    finally:
        graph.close()


@app.command()
def remove(
    doc_ids: Annotated[list[str], typer.Argument(help="Ids of the documents to remove (dcterms:identifier).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The build output directory.")] = Path("output"),
    lexicon: Lexicons = None,
    no_model: NoModel = False,
    jobs: Jobs = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors.")] = False,
    segmenter: Segmenter = DEFAULT_SEGMENTER,
) -> None:
    """Remove documents, their facts and the entities no other document supports, then rewrite the outputs."""
    from kg.incremental import update

    options = _build_options(lexicon, no_model, jobs, "local", None, segmenter)
    graph, report = update(
        output, (), options, mode="remove", remove=doc_ids,
        write=_write_outputs(output, _existing_store(output), parallel=options.jobs > 1),
    )
    try:
        _report(graph, report, output, quiet)
    finally:
        graph.close()


@app.command()
def explain(
    entity: Annotated[str, typer.Argument(help="A name in either script, an alias, a stock code or an IRI.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The build output directory.")] = Path("output"),
) -> None:
    """Show how an entity was resolved: its surface forms, documents and the rule behind each merge."""
    from kg.explain import explain as run

    typer.echo(run(output, entity))


@app.command()
def extract(
    inputs: Annotated[list[str], typer.Argument(help="Files or directories (.txt .md .jsonl .html .htm), or - for stdin.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (one record per document) or json.")] = "jsonl",
    lexicon: Lexicons = None,
    no_model: NoModel = False,
    strict: Strict = False,
    segmenter: Segmenter = DEFAULT_SEGMENTER,
) -> None:
    """Print entity mentions and facts per document, offsets into the original text."""
    from kg.api import extract_records
    from kg.errors import ConfigError
    from kg.sources import ReadStats, read_documents

    if fmt not in ("jsonl", "json"):
        raise ConfigError(f"unknown format {fmt!r}", fix="use --format jsonl or --format json")
    read_stats = ReadStats()
    records = extract_records(read_documents(inputs, strict=strict, stats=read_stats), _options(lexicon, no_model, segmenter))
    if fmt == "json":
        typer.echo(json.dumps(list(records), ensure_ascii=False, indent=2))
    else:
        for record in records:
            typer.echo(json.dumps(record, ensure_ascii=False))
    if read_stats.problems or read_stats.repaired:
        log.warning("%s", read_stats.summary())


@app.command()
def query(
    graph: Annotated[Path, typer.Argument(help="A graph file (graph.ttl) or a build output directory.")],
    sparql: Annotated[str, typer.Argument(help="A SPARQL query, or a .rq file.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, tsv or json.")] = "table",
) -> None:
    """Run a SPARQL query (kg:, kgr:, rdfs:, skos:, schema:, prov:, dcterms: are predeclared)."""
    from kg.query import open_store, query_store, read_query
    from kg.store import query_source

    sparql_text = read_query(sparql)
    typer.echo(query_store(open_store(query_source(graph)), sparql_text, fmt))


@app.command()
def validate(graph: Annotated[Path, typer.Argument(help="A graph file or build output directory.")]) -> None:
    """Check a graph against the SHACL shapes in ontology/shapes.ttl."""
    from pyshacl import validate as shacl
    from rdflib import Graph

    from kg.api import load
    from kg.resources import ontology_dir

    kg = load(_graph_file(graph))
    shapes = Graph().parse(ontology_dir() / "shapes.ttl")
    conforms, _, text = shacl(kg.rdf, shacl_graph=shapes, inference="none")
    if conforms:
        typer.echo(f"{graph}: conforms to the kg shapes ({len(kg)} triples)")
        return
    typer.echo(text, err=True)
    raise KGError(f"{graph} does not conform to the kg shapes", fix="see the report above")


@app.command("export")
def export_cmd(
    graph: Annotated[Path, typer.Argument(help="A graph file or build output directory.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="ttl, nt, jsonld, graphml, gexf, csv or html.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
) -> None:
    """Convert a graph to another format (a build with an Oxigraph store is read from the store, in bounded memory)."""
    from kg.api import opened
    from kg.export import export

    with opened(graph) as kg:
        export(kg, fmt, output)
    typer.echo(f"wrote {output}")


@app.command()
def viz(
    graph: Annotated[Path, typer.Argument(help="A graph file or build output directory.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("graph.html"),
    focus: Annotated[str | None, typer.Option("--focus", help="An entity label, alias, stock code or IRI.")] = None,
    hops: Annotated[int, typer.Option("--hops", min=0, help="Neighbourhood radius around --focus.")] = 1,
    max_nodes: Annotated[int, typer.Option("--max-nodes", min=1, help="Keep at most this many best-connected nodes.")] = 400,
) -> None:
    """Write an interactive, offline HTML view of the graph or of one entity's neighbourhood."""
    from kg.api import opened
    from kg.export import write_atomic
    from kg.export.html import render_networkx, subgraph

    with opened(graph) as kg:
        g, note = subgraph(kg.to_networkx(), focus=focus, hops=hops, max_nodes=max_nodes)
    write_atomic(output, render_networkx(g, note=note))
    typer.echo(f"wrote {output} ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges)")


from kg.server.command import serve as _serve

app.command("serve")(_serve)


def _existing_store(output: Path) -> Path | None:
    """OUTPUT/store when an earlier build made it: kept in step with graph.ttl."""
    from kg.store import DEFAULT_DIR, is_store

    return output / DEFAULT_DIR if is_store(output / DEFAULT_DIR) else None


def _graph_file(path: Path) -> Path:
    return path / "graph.ttl" if path.is_dir() else path


def main() -> None:
    _state["exits_after"] = True
    try:
        app()
    except KGError as err:
        if _state["debug"]:
            raise
        typer.echo(f"kg: error: {err.line()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("kg: interrupted; outputs already written are intact", err=True)
        sys.exit(130)
    except Exception as err:  # a bug: still one line unless --debug
        if _state["debug"]:
            raise
        typer.echo(f"kg: internal error: {type(err).__name__}: {err} (run with --debug for the traceback)", err=True)
        sys.exit(1)
    finally:
        # The interpreter's last cycle collection at exit walks every object still alive (the
        # pipeline's models, a graph held in memory): 0.4-2 s of a build's wall time, to free
        # memory the process is about to give back anyway. Frozen, they are not walked. (Called
        # in-process, by a test, the collector goes on with what is made from now on.)
        _state["exits_after"] = False
        gc.freeze()


if __name__ == "__main__":
    main()
