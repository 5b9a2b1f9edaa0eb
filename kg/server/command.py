"""The `kg serve` command (registered in kg.cli); heavy imports happen inside the function."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    graph: Annotated[Path, typer.Argument(help="A graph file (graph.ttl), an Oxigraph store directory, or a build output directory (its store/ if built with --store, else graph.ttl).")],
    host: Annotated[str, typer.Option("--host", help="Interface to bind (loopback unless told otherwise).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8000,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds a SPARQL query may run before it is cancelled (503).")] = 10.0,
    max_results: Annotated[int, typer.Option("--max-results", min=1, help="Rows (SELECT) or triples (CONSTRUCT) per answer; more are cut and the reply says so.")] = 10000,
    max_body: Annotated[int, typer.Option("--max-body", min=1024, help="Largest request body in bytes (413 above).")] = 1_000_000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Query worker processes (each holds the graph in memory, unless served from an on-disk store).")] = 2,
) -> None:
    """Serve a graph: SPARQL 1.1 Protocol at /sparql and a browse UI at / (read-only, offline)."""
    import logging

    from kg.server.run import Settings, build, url_of

    settings = Settings(host=host, port=port, timeout=timeout, max_results=max_results, max_body=max_body, workers=workers)
    debug = logging.getLogger().isEnabledFor(logging.DEBUG)
    server, sock, engine = build(graph, settings, log_level="debug" if debug else "info")
    try:
        url = url_of(sock)
        typer.echo(
            f"serving {engine.graph} ({engine.triples} triples, {workers} query worker(s)) at {url}/ "
            f"- SPARQL endpoint {url}/sparql - Ctrl-C stops",
        )
        server.run(sockets=[sock])
    finally:
        engine.close()
        sock.close()
