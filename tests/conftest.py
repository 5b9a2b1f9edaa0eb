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
