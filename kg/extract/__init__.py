"""Relation extractors, registered by versioned name (see :mod:`kg.extract.base`)."""

from kg.extract.base import register, registry, run_extractors

__all__ = ["register", "registry", "run_extractors"]
