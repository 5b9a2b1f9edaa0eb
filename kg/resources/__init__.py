"""Paths of the files shipped inside the package (lexicons, sample, models, ontology)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ontology_dir", "resource_path"]

_HERE = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    return _HERE.joinpath(*parts)


def ontology_dir() -> Path:
    """``ontology/``: installed inside the package as ``kg/ontology``, or the repo's own
    top-level folder when running from a source checkout."""
    installed = _HERE.parent / "ontology"
    if (installed / "kg.ttl").exists():
        return installed
    return _HERE.parent.parent / "ontology"
