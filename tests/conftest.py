"""Shared fixtures: the spaCy pipeline is built once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def nlp():
    """The lexicon + pattern pipeline (no CRF), built once up front.

    ``make_nlp`` is lru_cached, so ``kg.extract(..., use_crf=False)`` reuses this object."""
    from kg.nlp.pipeline import make_nlp

    return make_nlp(use_crf=False)


@pytest.fixture(params=["zh-Hans", "zh-Hant"])
def script(request) -> str:
    """Run a test on the Simplified sentence and on its Traditional conversion."""
    return request.param


@pytest.fixture(scope="session")
def sample_graph(nlp):
    """The embedded sample article as a KnowledgeGraph (lexicon + patterns, no CRF), built once."""
    from kg.api import Options, build_documents
    from kg.sources import sample_documents

    return build_documents(sample_documents(), Options(use_crf=False))


@pytest.fixture(scope="session")
def sample_output(sample_graph, tmp_path_factory):
    """A `kg build` output directory for the sample (graph.ttl and graph.html), written once."""
    from kg.export import export

    out = tmp_path_factory.mktemp("sample-build")
    export(sample_graph, "ttl", out / "graph.ttl")
    export(sample_graph, "html", out / "graph.html")
    return out
