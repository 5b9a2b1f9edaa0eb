"""Starting the server: bind the socket (one clear error if the port is taken), start the
query workers, run uvicorn. :func:`running` does the same in a background thread for tests
and benchmarks."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ConfigError, InputError

__all__ = ["Settings", "bind", "build", "graph_file", "running"]


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0
    max_results: int = 10000
    max_body: int = 1_000_000
    workers: int = 2


def graph_file(path: Path) -> Path:
    """What to serve: an Oxigraph store directory (given, or OUTPUT/store of a build made with
    ``--store oxigraph``), else ``graph.ttl`` inside a build directory, or the file itself;
    InputError when missing."""
    from kg.store import is_store, query_source

    file = query_source(Path(path))
    if is_store(file):
        return file
    if not file.is_file():
        raise InputError(f"graph file not found: {file}", fix="run `kg build` first or give the path of a graph.ttl")
    return file


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port); ConfigError if impossible."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {err.strerror or err}",
            fix="choose another --port (or --port 0 for a free one) or stop the server using it",
        ) from None
    return sock


def build(graph: Path, settings: Settings, *, log_level: str = "info"):
    """(uvicorn.Server, socket, Engine), ready to run; the caller closes the engine."""
    try:
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as err:
        raise ConfigError(f"kg serve needs the serve extra ({err.name} is not installed)", fix='pip install "kg[serve]"') from None

    from kg.server.app import LOOPBACK_HOSTS, create_app
    from kg.server.engine import Engine

    file = graph_file(graph)
    sock = bind(settings.host, settings.port)
    try:
        engine = Engine(file, workers=settings.workers, timeout=settings.timeout, max_results=settings.max_results).start()
    except BaseException:
        sock.close()
        raise
    loopback = settings.host in ("127.0.0.1", "localhost")
    app = create_app(engine, max_body=settings.max_body, allowed_hosts=list(LOOPBACK_HOSTS) if loopback else None)
    config = uvicorn.Config(app, log_config=None, log_level=log_level, access_log=log_level == "debug", timeout_graceful_shutdown=2)
    return uvicorn.Server(config), sock, engine


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def running(graph: Path, settings: Settings = Settings(port=0), *, log_level: str = "warning") -> Iterator[str]:
    """Serve ``graph`` from a background thread; yields the base URL (no trailing slash)."""
    server, sock, engine = build(graph, settings, log_level=log_level)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="kg-serve", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.close()
        sock.close()
