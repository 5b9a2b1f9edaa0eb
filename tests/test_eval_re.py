"""Relation-extraction evaluation (kg.eval_re): parsing and scoring on inline samples, and a smoke run."""

from __future__ import annotations

import json

import pytest

from kg.datasets import default_data_dir
from kg.eval_re import (
    DUIE_MAP,
    FINRE_LABELS,
    FINRE_UNDIRECTED,
    finre_gold_key,
    group_finre,
    pair_triples,
    parse_duie_line,
    parse_finre,
    prf,
    score_duie,
    score_finre,
)

S1 = "甲公司持有乙公司30%股权。"
S2 = "甲公司与乙公司签署合作协议。"
S3 = "丙公司股价今日上涨,丁公司下跌。"
FINRE_BLOCK = f"""甲公司\t乙公司\t持股\t{S1}

乙公司\t甲公司\t被持股\t{S1}

甲公司\t乙公司\t合作\t{S2}

乙公司\t甲公司\t合作\t{S2}

丙公司\t丁公司\tunknown\t{S3}

丁公司\t丙公司\tunknown\t{S3}
"""


def _span(text: str, sentence: str) -> dict:
    start = sentence.index(text)
    return {"text": text, "start": start, "end": start + len(text), "entity": text, "type": "COMPANY"}


def _record(sentence: str, *triples: tuple[str, str, str], entities=()) -> dict:
    return {
        "id": "x",
        "entities": [_span(e, sentence) for e in entities],
        "triples": [
            {"subject": _span(s, sentence), "predicate": p, "object": _span(o, sentence), "extractor": "finance.v1"}
            for s, p, o in triples
        ],
    }


def test_parse_finre_skips_blank_lines_and_rejects_bad_rows():
    rows = parse_finre(FINRE_BLOCK.splitlines())
    assert len(rows) == 6
    assert rows[1].head == "乙公司" and rows[1].label == "被持股" and rows[1].sentence == S1
    with pytest.raises(ValueError):
        parse_finre(["only\ttwo"])


def test_labels_map_onto_predicates_passive_swaps_and_symmetric_sorts():
    assert finre_gold_key("甲", "乙", "持股") == ("holdsSharesIn", "甲", "乙")
    assert finre_gold_key("乙", "甲", "被持股") == ("holdsSharesIn", "甲", "乙")
    assert finre_gold_key("乙", "甲", "被拟收购") == ("plansToAcquire", "甲", "乙")
    assert finre_gold_key("乙", "甲", "合作") == finre_gold_key("甲", "乙", "合作")
    assert finre_gold_key("甲", "乙", "unknown") is None and finre_gold_key("甲", "乙", "自己") is None
    with pytest.raises(ValueError):
        finre_gold_key("甲", "乙", "结婚")
    assert len(FINRE_LABELS) == 26 and "cooperatesWith" in FINRE_UNDIRECTED and "acquires" not in FINRE_UNDIRECTED


def test_every_label_of_relation2id_is_handled():
    path = default_data_dir() / "finre" / "relation2id.txt"
    if not path.is_file():
        pytest.skip("shared data not present")
    labels = [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(labels) == 44
    for label in labels:
        finre_gold_key("甲", "乙", label)  # raises on an unmapped label


def test_reversed_rows_collapse_into_one_instance():
    instances = group_finre(parse_finre(FINRE_BLOCK.splitlines()))
    assert len(instances) == 3
    held, coop, none = instances
    assert held.gold == {("holdsSharesIn", "甲公司", "乙公司")} and held.labels == ["持股"]
    assert len(coop.gold) == 1 and coop.labels == ["合作"]
    assert none.gold == set() and none.no_relation and not none.alias


def test_pair_triples_match_equal_or_containing_spans():
    rec = _record("甲公司控股子公司乙公司", ("甲公司控股", "holdsSharesIn", "乙公司"))
    assert pair_triples(rec, "甲公司", "乙公司") == [("holdsSharesIn", "甲公司", "乙公司", "finance.v1")]
    assert pair_triples(rec, "丙公司", "乙公司") == []


def test_score_finre_direction_counts_and_unknown_is_a_false_positive():
    instances = group_finre(parse_finre(FINRE_BLOCK.splitlines()))
    records = [
        _record(S1, ("乙公司", "holdsSharesIn", "甲公司")),  # wrong direction
        _record(S2, ("乙公司", "cooperatesWith", "甲公司")),  # symmetric: either direction is right
        _record(S3, ("丙公司", "acquires", "丁公司")),  # no relation in gold
    ]
    result = score_finre(instances, records)
    micro = result["scores"]["micro"]
    assert (micro["tp"], micro["n_pred"], micro["n_gold"]) == (1, 3, 2)
    assert micro["p"] == pytest.approx(1 / 3) and micro["r"] == pytest.approx(0.5)
    assert result["confusion"][("holdsSharesIn", "holdsSharesIn (reversed)")] == 1
    assert result["confusion"][("unknown", "acquires")] == 1
    assert result["coverage"]["n_any"] == 3
    assert result["scores"]["cooperatesWith"]["f"] == 1.0


def test_alias_scored_apart():
    sentence = "哈药股份即哈药集团旗下公司"
    instances = group_finre(parse_finre([f"哈药集团\t哈药股份\t自己\t{sentence}"]))
    rec = _record(sentence, entities=("哈药股份", "哈药集团"))
    rec["entities"][1]["entity"] = "哈药股份"
    result = score_finre(instances, [rec])
    assert result["alias"]["tp"] == 1 and result["scores"]["micro"]["n_gold"] == 0


DUIE_LINE = json.dumps({
    "text": "阿里巴巴集团董事长马云表示，阿里巴巴成立于1999年",
    "spo_list": [
        {"predicate": "董事长", "subject": "阿里巴巴集团", "subject_type": "企业",
         "object": {"@value": "马云"}, "object_type": {"@value": "人物"}},
        {"predicate": "成立日期", "subject": "阿里巴巴", "subject_type": "机构",
         "object": {"@value": "1999年"}, "object_type": {"@value": "Date"}},
        {"predicate": "国籍", "subject": "马云", "subject_type": "人物",
         "object": {"@value": "中国"}, "object_type": {"@value": "国家"}},
    ],
}, ensure_ascii=False)


def test_parse_duie_line_maps_and_swaps_covered_predicates():
    text, gold, raw = parse_duie_line(DUIE_LINE)
    assert text.startswith("阿里巴巴集团")
    assert gold == [("chairmanOf", "马云", "阿里巴巴集团"), ("foundedOn", "阿里巴巴", "1999年")]
    assert len(raw) == 3 and raw[0][3:] == ("COMPANY", "PERSON")
    assert DUIE_MAP["创始人"] == ("founderOf", True)


def test_score_duie_strict_and_lenient():
    _, gold, _ = parse_duie_line(DUIE_LINE)
    preds = [[("chairmanOf", "马云", "阿里巴巴"), ("founderOf", "马云", "阿里巴巴")]]
    result = score_duie([gold], preds)
    assert result["strict"]["micro"]["tp"] == 0
    lenient = result["lenient"]["micro"]
    assert (lenient["tp"], lenient["n_pred"], lenient["n_gold"]) == (1, 2, 2)
    assert result["lenient"]["chairmanOf"]["f"] == 1.0


def test_prf_handles_zeros():
    assert prf(0, 0, 0) == {"p": 0.0, "r": 0.0, "f": 0.0, "tp": 0, "n_pred": 0, "n_gold": 0}
    assert prf(1, 2, 4)["f"] == pytest.approx(2 * 0.5 * 0.25 / 0.75)


@pytest.mark.skipif(not (default_data_dir() / "finre" / "valid.txt").is_file(), reason="shared data not present")
def test_smoke_run_on_20_finre_instances(capsys):
    from kg.api import Options
    from kg.eval_re import evaluate_finre, main

    result = evaluate_finre(limit=20, options=Options(use_crf=False))
    assert result["instances"] == 20
    for value in (*(result["scores"]["micro"][k] for k in "prf"), *result["coverage"].values()):
        assert 0.0 <= value <= (1.0 if isinstance(value, float) else 20)
    assert main(["--dataset", "finre", "--limit", "20", "--no-model"]) == 0
    out = capsys.readouterr().out
    assert "micro" in out and "coverage" in out and "instances/s" in out
