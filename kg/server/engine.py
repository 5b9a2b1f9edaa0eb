"""The query engine behind ``kg serve``: pyoxigraph stores in worker processes.

pyoxigraph cannot interrupt a running query from another thread, so every query runs in a
worker process (kg/server/worker.py, started as a plain script so it does not import the
``kg`` package) holding its own in-memory :class:`pyoxigraph.Store`, bulk-loaded from a
private snapshot of the graph file. The server waits for an answer at most ``timeout``
seconds; a worker still busy then is killed and replaced by a fresh one (loaded in the
background) and the client gets a clear 503. ``workers`` processes answer in parallel; a
request that finds them all busy for ``timeout`` seconds also gets a 503.

Results are capped at ``max_results`` rows (SELECT) or triples (CONSTRUCT / DESCRIBE):
a larger result is cut to that many and the reply says so in an ``X-KG-Truncated`` header.

Everything here blocks (pipes, processes); the web app calls :meth:`Engine.run` from a thread.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from kg.errors import GraphLoadError
from kg.server.worker import GRAPH_FORMATS, RESULT_FORMATS

__all__ = ["GRAPH_FORMATS", "RESULT_FORMATS", "Engine", "Reply", "sparql_term"]

log = logging.getLogger("kg.server")
_WORKER_SCRIPT = str(Path(__file__).with_name("worker.py"))


@dataclass
class Reply:
    """One HTTP-ready answer: status, media type, body and extra headers."""

    status: int
    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        return cls(status, "text/plain", (message + "\n").encode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def sparql_term(value: str, *, iri: bool = False) -> str:
    """``value`` as a SPARQL term (``<iri>`` or an escaped string literal), written by
    pyoxigraph's N-Triples serialiser, so text from a request can never change a query.
    Raises ValueError for an invalid IRI."""
    import pyoxigraph as ox

    return str(ox.NamedNode(value)) if iri else str(ox.Literal(value))


class _Worker:
    """One worker process and the two pipe ends the server keeps."""

    def __init__(self, config: dict) -> None:
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, _WORKER_SCRIPT, str(to_child_r), str(to_parent_w)],
                pass_fds=(to_child_r, to_parent_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(to_parent_w)
        self.outbox = Connection(to_child_w, readable=False)
        self.inbox = Connection(to_parent_r, writable=False)
        self.outbox.send(config)

    def wait_ready(self) -> tuple[bool, int | str]:
        """(True, triples loaded) or (False, why loading failed)."""
        try:
            status, value = self.inbox.recv()
        except (EOFError, OSError):
            status, value = "error", f"the worker process exited (status {self.process.poll()})"
        return status == "ready", value

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not take this long
            log.warning("query worker %d did not exit", self.process.pid)
        self.outbox.close()
        self.inbox.close()


class Engine:
    """A pool of ``workers`` query processes over one graph file."""

    def __init__(self, graph: str | Path, *, workers: int = 2, timeout: float = 10.0, max_results: int = 10000) -> None:
        from kg.namespaces import PREFIXES

        self.graph = Path(graph)
        self.size = workers
        self.timeout = timeout
        self.max_results = max_results
        self.prefixes = dict(PREFIXES)
        self.triples = 0
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._dir: str | None = None
        self._config: dict = {}

    def start(self) -> Engine:
        """Snapshot the graph file and start the workers; raises GraphLoadError."""
        from kg.store import is_store, open_read_only

        self._dir = tempfile.mkdtemp(prefix="kg-serve-")
        # a restarted worker sees the graph the server started with, whatever rebuilds happen meanwhile
        if is_store(self.graph):  # an on-disk Oxigraph store: a checkpoint (hard links), opened read-only
            snapshot = Path(self._dir) / "store"
            try:
                open_read_only(self.graph).backup(str(snapshot))
            except (GraphLoadError, OSError, RuntimeError) as err:
                self.close()
                raise GraphLoadError(f"cannot snapshot the store {self.graph}: {err}",
                                     fix="rebuild it with `kg build --store oxigraph`") from None
        else:
            snapshot = Path(self._dir) / ("graph" + (self.graph.suffix or ".ttl"))
            shutil.copyfile(self.graph, snapshot)
        self._config = {"path": str(snapshot), "prefixes": self.prefixes, "max_results": self.max_results}
        started = time.perf_counter()
        workers = [self._spawn() for _ in range(self.size)]
        for w in workers:
            ok, value = w.wait_ready()
            if not ok:
                self.close()
                raise GraphLoadError(f"cannot load {self.graph}: {value}", fix="check the file is a graph written by kg build (Turtle)")
            self.triples = int(value)
        for w in workers:
            self._idle.put(w)
        log.info("loaded %d triples into %d query worker(s) in %.1f s", self.triples, self.size, time.perf_counter() - started)
        return self

    def _spawn(self) -> _Worker:
        w = _Worker(self._config)
        with self._lock:
            self._all.add(w)
        return w

    def _retire(self, w: _Worker) -> None:
        with self._lock:
            self._all.discard(w)
        w.kill()

    def _replace(self, w: _Worker) -> None:
        """Kill ``w`` now; load a fresh worker in the background."""
        self._retire(w)
        if self._closed:
            return

        def load() -> None:
            fresh = self._spawn()
            ok, value = fresh.wait_ready()
            if self._closed:
                self._retire(fresh)
            elif not ok:
                log.error("a replacement query worker could not load the graph: %s", value)
                self._retire(fresh)
            else:
                self._idle.put(fresh)

        threading.Thread(target=load, name="kg-respawn", daemon=True).start()

    def run(self, query: str, *, results_format: str | None = "json", graph_format: str | None = "turtle") -> Reply:
        """Run one query (blocking). ``results_format`` answers SELECT / ASK and
        ``graph_format`` CONSTRUCT / DESCRIBE (keys of RESULT_FORMATS / GRAPH_FORMATS);
        None means the client accepts no format for that kind of query (406)."""
        if self._closed:
            return Reply.error(503, "the server is shutting down")
        try:
            w = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return Reply.error(503, f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later")
        try:
            w.outbox.send((query, results_format, graph_format))
            if not w.inbox.poll(self.timeout):
                self._replace(w)
                return Reply.error(
                    503,
                    f"query cancelled: it ran longer than the {self.timeout:g} s limit (kg serve --timeout); "
                    "make it more selective or add a LIMIT",
                )
            status, media_type, body, headers = w.inbox.recv()
        except (EOFError, OSError) as err:
            self._replace(w)
            return Reply.error(500, f"the query worker died ({type(err).__name__}); a new one is starting")
        self._idle.put(w)
        return Reply(status, media_type, body, headers)

    async def arun(self, query: str, *, results_format: str | None = "json", graph_format: str | None = "turtle") -> Reply:
        """:meth:`run` for an asyncio server: waits on the worker's pipe in the event loop
        rather than in a thread (a third less overhead per request on loopback)."""
        import asyncio

        if self._closed:
            return Reply.error(503, "the server is shutting down")
        loop = asyncio.get_running_loop()
        try:
            w = self._idle.get_nowait()
        except queue.Empty:
            w = await loop.run_in_executor(None, self._take)
            if w is None:
                return Reply.error(503, f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later")
        ready = loop.create_future()
        fd = w.inbox.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            w.outbox.send((query, results_format, graph_format))
            await asyncio.wait_for(ready, self.timeout)
            status, media_type, body, headers = w.inbox.recv()
        except asyncio.TimeoutError:
            loop.remove_reader(fd)
            self._replace(w)
            return Reply.error(
                503,
                f"query cancelled: it ran longer than the {self.timeout:g} s limit (kg serve --timeout); "
                "make it more selective or add a LIMIT",
            )
        except (EOFError, OSError) as err:
            loop.remove_reader(fd)
            self._replace(w)
            return Reply.error(500, f"the query worker died ({type(err).__name__}); a new one is starting")
        except BaseException:  # cancelled while the worker is busy: its answer would be lost, so replace it
            loop.remove_reader(fd)
            self._replace(w)
            raise
        loop.remove_reader(fd)
        self._idle.put(w)
        return Reply(status, media_type, body, headers)

    def _take(self) -> _Worker | None:
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.kill()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
