"""Date expressions resolve to ISO ranges, against the document date when one is known."""

from __future__ import annotations

import pytest

import kg
from kg.model import Document
from kg.nlp.dates import resolve_date


@pytest.mark.parametrize(
    ("text", "base", "expected"),
    [
        ("2024年2月16日", None, ("2024-02-16", "2024-02-16")),
        ("2024-02-16", None, ("2024-02-16", "2024-02-16")),
        ("2月16日", "2024-03-01", ("2024-02-16", "2024-02-16")),
        ("2月16日", None, None),
        ("2月30日", "2024-03-01", None),
        ("2021年初", None, ("2021-01-01", "2021-02-28")),
        ("2023年底", None, ("2023-12-01", "2023-12-31")),
        ("2022年末", None, ("2022-12-01", "2022-12-31")),
        ("2024年上半年", None, ("2024-01-01", "2024-06-30")),
        ("2024年第三季度", None, ("2024-07-01", "2024-09-30")),
        ("2023年", None, ("2023-01-01", "2023-12-31")),
        ("2024年2月", None, ("2024-02-01", "2024-02-29")),
        ("2024年3月底", None, ("2024-03-21", "2024-03-31")),
        ("去年", "2024-05-01", ("2023-01-01", "2023-12-31")),
        ("明年初", "2024-05-01", ("2025-01-01", "2025-02-28")),
        ("今年", None, None),
        ("三月", None, None),
    ],
)
def test_resolve_date(text, base, expected):
    assert resolve_date(text, base) == expected


def test_extract_resolves_dates_against_the_document_date():
    text = "2月16日，星河科技發布了新款模型“天穹”。到2023年底，公司將擁有100個數據中心。"
    record = kg.extract([Document(id="d", text=text, date="2024-02-20")], use_crf=False)[0]
    values = {e["text"]: e.get("value") for e in record["entities"] if e["type"] == "DATE"}
    assert values == {"2月16日": "2024-02-16", "2023年底": "2023-12-01/2023-12-31"}
