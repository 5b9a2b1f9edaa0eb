"""Smoke test of the NER evaluation on a small slice of the shared dev data."""

from __future__ import annotations

import pytest

from kg.datasets import default_data_dir
from kg.eval import evaluate_ner, main

pytestmark = pytest.mark.skipif(not (default_data_dir() / "resume_ner").is_dir(), reason="shared data not present")


@pytest.mark.parametrize(("dataset", "floor"), [("resume", 0.8), ("cluener", 0.55), ("msra", 0.6)])
def test_pipeline_scores_on_a_dev_slice(dataset, floor):
    result = evaluate_ner(dataset, limit=60)
    simplified, traditional = result["simplified"]["micro"], result["traditional"]["micro"]
    assert result["sentences"] == 60
    assert simplified["f"] >= floor, simplified
    assert abs(simplified["f"] - traditional["f"]) < 0.03, (simplified, traditional)


def test_cli_prints_a_table(capsys):
    assert main(["ner", "--dataset", "weibo", "--limit", "20", "--no-traditional"]) == 0
    out = capsys.readouterr().out
    assert "micro" in out and "PERSON" in out and "chars/s" in out
