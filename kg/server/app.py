"""The ASGI app of ``kg serve``: SPARQL 1.1 Protocol at /sparql, browse pages around it.

Read-only: SPARQL Update is refused (403) however it arrives. Request bodies are capped
(413, ``--max-body``). Pages are Jinja2 templates with autoescaping on,
scripts and styles are files served from the package (vis-network from pyvis's package),
and a Content-Security-Policy allows nothing else: the UI works offline and text from the
news is always shown as text.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kg.server.browse import BrowseError, Browser, local_name, short
from kg.server.engine import RESULT_FORMATS, Engine

__all__ = ["LOOPBACK_HOSTS", "create_app", "negotiate"]

log = logging.getLogger("kg.server")
_HERE = Path(__file__).resolve().parent
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

#: Media types a client may ask for, in the server's order of preference, per kind of query.
_RESULT_TYPES = [
    ("application/sparql-results+json", "json"),
    ("application/json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
]
_GRAPH_TYPES = [
    ("text/turtle", "turtle"),
    ("application/x-turtle", "turtle"),
    ("application/turtle", "turtle"),
    ("text/n3", "turtle"),
    ("application/ld+json", "jsonld"),
    ("application/json", "jsonld"),
    ("application/n-triples", "ntriples"),
    ("text/plain", "ntriples"),
    ("application/rdf+xml", "rdfxml"),
    ("application/xml", "rdfxml"),
]
#: ``format=`` / ``output=`` values (as SPARQLWrapper and browsers send them): -> (results, graph)
_FORMAT_PARAMS = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "n3": (None, "turtle"),
    "json-ld": (None, "jsonld"),
    "jsonld": (None, "jsonld"),
    "nt": (None, "ntriples"),
    "ntriples": (None, "ntriples"),
    "n-triples": (None, "ntriples"),
    "rdf": (None, "rdfxml"),
    "rdf+xml": (None, "rdfxml"),
    "rdfxml": (None, "rdfxml"),
}
for _media, _short in _RESULT_TYPES:
    _FORMAT_PARAMS.setdefault(_media, (_short, None))
for _media, _short in _GRAPH_TYPES:
    _FORMAT_PARAMS[_media] = (_FORMAT_PARAMS.get(_media, (None, None))[0], _short)


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def negotiate(accept: str | None, offered: list[tuple[str, str]]) -> str | None:
    """The offered format the Accept header likes best (ties: the server's order); the
    first offered when there is no Accept header; None when nothing offered is acceptable."""
    if not accept or not accept.strip():
        return offered[0][1]
    ranges = _accept_ranges(accept)
    best, best_q = None, 0.0
    for media, name in offered:
        kind = media.split("/")[0]
        q, specificity = 0.0, -1
        for r, rq in ranges:
            s = 2 if r == media else 1 if r == f"{kind}/*" else 0 if r == "*/*" else -1
            if s > specificity:
                q, specificity = rq, s
        if specificity >= 0 and q > best_q:
            best, best_q = name, q
    return best


def _formats(request: Request, params: dict[str, list[str]]) -> tuple[str | None, str | None]:
    accept = request.headers.get("accept")
    results, graph = negotiate(accept, _RESULT_TYPES), negotiate(accept, _GRAPH_TYPES)
    for key in ("format", "output"):
        for value in params.get(key, []):
            r, g = _FORMAT_PARAMS.get(value.strip().lower(), (None, None))
            if r or g:
                return r or results, g or graph
    return results, graph


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to exceed ``limit`` bytes (declared
    Content-Length or bytes received): nothing larger is ever buffered. (Starlette >= 1.6 has
    ``max_body_size`` but answers a bare "Content Too Large"; this says which limit.)"""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _text(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status)


def create_app(engine: Engine, *, max_body: int = 1_000_000, allowed_hosts: list[str] | None = None) -> Starlette:
    """The Starlette app over a started :class:`Engine`. ``allowed_hosts`` (Host header
    values; None = any) guards a loopback server against DNS rebinding."""
    import pyvis
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from kg.resources import ontology_dir

    browser = Browser(engine)
    env = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(default=True, default_for_string=True))
    env.globals.update(short=short, local_name=local_name, max_body=max_body, timeout=engine.timeout, max_results=engine.max_results)
    examples = _examples(ontology_dir() / "queries")

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    async def data(method, *args, **kwargs):
        return await run_in_threadpool(method, *args, **kwargs)

    # ------------------------------------------------------------ SPARQL 1.1 Protocol

    async def sparql(request: Request) -> Response:
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await _read_body(request, max_body)
            if body is None:
                return _text(413, f"request body larger than {max_body} bytes (kg serve --max-body)")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return _text(400, "the request body is not UTF-8")
            if ctype == "application/x-www-form-urlencoded":
                for key, values in parse_qs(text, keep_blank_values=True).items():
                    params.setdefault(key, []).extend(values)
            elif ctype == "application/sparql-query":
                params.setdefault("query", []).append(text)
            elif ctype == "application/sparql-update":
                return _text(403, "SPARQL Update is not allowed: this endpoint is read-only")
            else:
                return _text(415, f"unsupported Content-Type {ctype or '(none)'!r}: send application/sparql-query or an HTML form (query=...)")
        if "update" in params:
            return _text(403, "SPARQL Update is not allowed: this endpoint is read-only")
        queries = params.get("query", [])
        if not queries:
            if "text/html" in request.headers.get("accept", ""):
                return RedirectResponse("/query", status_code=303)
            return _text(400, "missing query: give ?query=SELECT... (GET), a form field query= or an application/sparql-query body (POST)")
        if len(queries) > 1:
            return _text(400, "more than one query parameter: send exactly one query")
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            return _text(400, "default-graph-uri / named-graph-uri are not supported: this endpoint serves one default graph")
        if not queries[0].strip():
            return _text(400, "empty query: give a SPARQL query such as SELECT * WHERE { ?s ?p ?o } LIMIT 10")
        results_format, graph_format = _formats(request, params)
        if results_format is None and graph_format is None:
            offered = ", ".join(sorted({m for m, _ in _RESULT_TYPES + _GRAPH_TYPES}))
            return _text(406, f"none of the media types in Accept can be served; use one of {offered}")
        reply = await engine.arun(queries[0], results_format=results_format, graph_format=graph_format)
        headers = {"Vary": "Accept", **reply.headers}
        return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=headers)

    # ------------------------------------------------------------ browse pages

    async def home(request: Request) -> Response:
        return page("home.html", overview=await data(browser.overview), title="kg")

    async def search(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        hits = await data(browser.search, q) if q else []
        return page("search.html", q=q, hits=hits, title=f"search: {q}" if q else "search")

    async def entity(request: Request) -> Response:
        iri = request.query_params.get("iri", "")
        if not iri:
            return page("error.html", 400, message="give an entity: /entity?iri=...", title="error")
        info = await data(browser.entity, iri)
        return page("entity.html", e=info, title=info["node"].label)

    async def document(request: Request) -> Response:
        iri = request.query_params.get("iri", "")
        if not iri:
            return page("error.html", 400, message="give a document: /document?iri=...", title="error")
        info = await data(browser.document, iri)
        return page("document.html", d=info, title=info["title"])

    async def neighbourhood(request: Request) -> Response:
        iri = request.query_params.get("iri", "")
        try:
            hops = min(max(int(request.query_params.get("hops", "1")), 1), 3)
            limit = min(max(int(request.query_params.get("max", "150")), 1), 1000)
        except ValueError:
            return _text(400, "hops and max must be whole numbers")
        return JSONResponse(await data(browser.neighbourhood, iri, hops=hops, max_nodes=limit))

    async def query_page(request: Request) -> Response:
        name = request.query_params.get("example")
        text = request.query_params.get("query")
        if name is not None:
            if name not in examples:
                return page("error.html", 404, message=f"no example query called {name!r}", title="error")
            text = examples[name]["text"]
        result = None
        if text and text.strip():
            reply = await run_in_threadpool(engine.run, text, results_format="json", graph_format="turtle")
            result = _ui_result(reply)
        return page("query.html", examples=examples, query=text or "", result=result, selected=name, title="query")

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        detail = getattr(exc, "detail", "not found")
        if request.url.path.startswith(("/sparql", "/api/", "/static/")):
            return _text(status, str(detail))
        return page("error.html", status, message=str(detail), title="error")

    async def browse_error(request: Request, exc: BrowseError) -> Response:
        if request.url.path.startswith("/api/"):
            return _text(exc.status, exc.message)
        return page("error.html", exc.status, message=exc.message, title="error")

    vis_dir = _vis_dir(Path(pyvis.__file__).resolve().parent / "lib")
    routes = [
        Route("/", home),
        Route("/search", search),
        Route("/entity", entity),
        Route("/document", document),
        Route("/query", query_page),
        Route("/api/neighbourhood", neighbourhood),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Mount("/static/vis", StaticFiles(directory=vis_dir), name="vis"),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    middleware = [Middleware(_SecurityHeaders)]
    if allowed_hosts:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={404: not_found, 405: not_found, HTTPException: not_found, BrowseError: browse_error},
    )


def _vis_dir(lib: Path) -> Path:
    """The newest vis-network build pyvis ships (``lib/vis-9.1.2`` in pyvis 0.3.2)."""
    builds = [p.parent for p in lib.glob("vis-*/vis-network.min.js")]
    if not builds:
        from kg.errors import ConfigError

        raise ConfigError(f"no vis-network build inside {lib}", fix="reinstall pyvis (pip install 'pyvis>=0.3.2')")
    return max(builds, key=lambda p: tuple(int(x) if x.isdigit() else 0 for x in p.name[4:].split(".")))


def _examples(folder: Path) -> dict[str, dict]:
    """``ontology/queries/*.rq``: name -> {"title": first comment line, "text"}."""
    out = {}
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        out[path.stem] = {"title": first.lstrip("# ").strip() if first.startswith("#") else path.stem, "text": text}
    return out


def _ui_result(reply) -> dict:
    """A query reply shaped for the query page."""
    if reply.status != 200:
        return {"error": reply.text.strip(), "status": reply.status}
    notice = reply.headers.get("X-KG-Truncated")
    if reply.media_type == RESULT_FORMATS["json"]:
        data = json.loads(reply.body)
        if "boolean" in data:
            return {"boolean": data["boolean"]}
        names = data["head"].get("vars", [])
        rows = [[row.get(v) for v in names] for row in data["results"]["bindings"]]
        return {"vars": names, "rows": rows, "notice": notice}
    return {"graph": reply.text, "notice": notice, "media_type": reply.media_type}


class _SecurityHeaders:
    """No scripts, styles, fonts or connections from anywhere but this server; no framing;
    no MIME sniffing. Pages therefore work offline and injected markup cannot run."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", self.CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
