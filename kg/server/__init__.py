"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint and an offline browse UI.

kg/server/command.py  the typer command (registered in kg.cli)
kg/server/run.py      binding the socket, starting workers and uvicorn; ``running()`` for tests
kg/server/engine.py   the pool of query worker processes (timeouts kill and replace a worker)
kg/server/worker.py   one worker: an in-memory pyoxigraph Store; result formats by pyoxigraph
kg/server/app.py      the Starlette app: /sparql, browse pages, static files, security headers
kg/server/browse.py   what the pages show, read with SPARQL
"""
