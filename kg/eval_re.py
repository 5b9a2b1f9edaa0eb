"""Relation-extraction evaluation of the whole pipeline on FinRE and DuIE 2.0.

    python -m kg.eval_re --dataset finre|duie [--limit N] [--hints] [--no-model] [--errors K]

Both datasets run through :func:`kg.api.extract_records` (one :class:`kg.model.Document`
per instance) and score the triples it emits.

FinRE (``finre/valid.txt``, the dev split): relation *classification* of a given pair. The head
and tail names are passed as entity hints (``Document(hints=((head, None), (tail, None)))``) so
entity recognition is not what is measured; a predicted triple belongs to the pair when its
subject and object texts equal (or contain) the two names. Every FinRE label maps onto one of
our predicates (:data:`FINRE_LABELS`); a passive label ``被X`` is ``X`` with head and tail
swapped; labels FinRE annotates in both directions (no ``被X`` form: 合作, 竞争, 纠纷, 签约, 合资,
重组, 合并, 商讨, 交易, 订单) are scored without direction. ``unknown`` means no relation (any
prediction there is a false positive); ``自己`` (both names denote the same entity) is not a
triple and is scored separately as alias detection.

Deduplication: FinRE lists every pair twice (head/tail and tail/head, the second with the
passive or the same symmetric label) and sometimes with several labels. Rows are grouped by
(sentence, unordered name pair) into one instance; each label is normalised to a canonical
triple (predicate, subject, object) in the active direction (sorted names for undirected
predicates), so ``A 持股 B`` and ``B 被持股 A`` become one gold triple. An instance's gold set is
the union over its rows; ``unknown`` rows add nothing.

DuIE 2.0 (``duie2/train_sample_5000.json``): only a train sample exists, so the last 1,000
lines are used as a fixed "dev" slice (the pair classifier trains on lines 1-4,000 only). Triples
(subject text, predicate, object text) are scored on the DuIE predicates our schema covers
(:data:`DUIE_MAP`), exact text match (and, reported alongside, a lenient match where one text
contains the other). No hints by default: entity recognition is part of what is measured
(``--hints`` passes the gold subject and object texts as hints).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.api import Options, extract_records
from kg.model import Document
from kg.nlp import DEFAULT_SEGMENTER
from kg.nlp.tokenizer import SEGMENTERS

__all__ = [
    "DUIE_MAP",
    "FINRE_LABELS",
    "FINRE_UNDIRECTED",
    "FinreInstance",
    "FinreRow",
    "duie_key",
    "duie_lines",
    "duie_match",
    "evaluate_duie",
    "evaluate_finre",
    "finre_correct",
    "finre_documents",
    "finre_gold_key",
    "finre_instances",
    "group_finre",
    "main",
    "pair_triples",
    "parse_duie_line",
    "parse_finre",
    "prf",
    "score_duie",
    "score_finre",
]

# --------------------------------------------------------------------------- label mappings

#: FinRE active label -> our predicate (ontology/kg.ttl, "FinRE-aligned finance relations").
FINRE_LABELS: dict[str, str] = {
    "注资": "injectsCapitalInto",
    "拥有": "owns",
    "纠纷": "inDisputeWith",
    "增持": "increasesStakeIn",
    "重组": "restructures",
    "买资": "buysAssetsOf",
    "签约": "signsWith",
    "持股": "holdsSharesIn",
    "交易": "tradesWith",
    "入股": "investsIn",
    "转让": "transfersTo",
    "成立": "establishes",
    "分析": "analyzes",
    "合作": "cooperatesWith",
    "帮助": "helps",
    "发行": "issues",
    "商讨": "negotiatesWith",
    "合并": "mergesWith",
    "竞争": "competesWith",
    "订单": "ordersFrom",
    "减持": "reducesStakeIn",
    "合资": "jointVentureWith",
    "收购": "acquires",
    "借壳": "backdoorListsVia",
    "欠款": "owesDebtTo",
    "拟收购": "plansToAcquire",
}
#: Labels with a passive form in relation2id.txt (被X): directed.
FINRE_PASSIVE = frozenset(
    ["发行", "转让", "成立", "注资", "持股", "拥有", "收购", "帮助", "借壳", "买资", "欠款", "增持", "拟收购", "减持", "分析", "入股"]
)
NO_RELATION, ALIAS = "unknown", "自己"
#: Predicates FinRE annotates in both directions with the same label (no 被X form): scored undirected.
FINRE_UNDIRECTED = frozenset(p for label, p in FINRE_LABELS.items() if label not in FINRE_PASSIVE)
_PREDICATE_LABEL = {p: label for label, p in FINRE_LABELS.items()}

#: DuIE predicate -> (our predicate, swap): swap when DuIE's subject is our object
#: (DuIE: company 董事长 person; ours: person chairmanOf company).
DUIE_MAP: dict[str, tuple[str, bool]] = {
    "董事长": ("chairmanOf", True),
    "创始人": ("founderOf", True),
    "成立日期": ("foundedOn", False),
    "总部地点": ("headquarteredIn", False),
    "注册资本": ("registeredCapital", False),
    "简称": ("shortName", False),
}
#: DuIE predicates deliberately left unmapped, and why (see docs/evaluation-relations.md).
DUIE_UNMAPPED_NOTES = {
    "校长": "kg:holdsPosition covers every title and kg extract records do not carry the title",
    "出品公司": "film production company; kg:released is ORG -> PRODUCT, films are not products",
    "首席执行官": "not a DuIE 2.0 predicate (kg:ceoOf has no gold counterpart)",
}


# --------------------------------------------------------------------------- scoring helpers


def prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f": f, "tp": tp, "n_pred": n_pred, "n_gold": n_gold}


def _table(gold: Iterable[tuple], pred: Iterable[tuple], tp: Iterable[tuple]) -> dict:
    """Per-predicate and micro P/R/F1 from lists of keys whose first item is the predicate."""
    g, p, t = Counter(k[0] for k in gold), Counter(k[0] for k in pred), Counter(k[0] for k in tp)
    table = {name: prf(t[name], p[name], g[name]) for name in sorted(set(g) | set(p))}
    table["micro"] = prf(sum(t.values()), sum(p.values()), sum(g.values()))
    return table


def _object_text(obj: dict) -> str:
    return obj.get("text") or obj.get("value") or ""


# --------------------------------------------------------------------------- FinRE


@dataclass(frozen=True)
class FinreRow:
    head: str
    tail: str
    label: str
    sentence: str


@dataclass
class FinreInstance:
    """One (sentence, unordered name pair) with all its labels, deduplicated."""

    sentence: str
    a: str  # the head of the first row seen
    b: str
    labels: list[str] = field(default_factory=list)  # raw rows' labels in a->b orientation, e.g. 持股 / 被持股
    gold: set[tuple[str, str, str]] = field(default_factory=set)

    @property
    def alias(self) -> bool:
        return ALIAS in self.labels

    @property
    def no_relation(self) -> bool:
        return not self.gold and not self.alias


def parse_finre(lines: Iterable[str]) -> list[FinreRow]:
    """``head \\t tail \\t relation \\t sentence`` per line; blank lines between instances are skipped."""
    rows = []
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise ValueError(f"FinRE line {n}: expected 4 tab-separated fields, got {len(parts)}")
        rows.append(FinreRow(*(p.strip() for p in parts)))
    return rows


def finre_gold_key(head: str, tail: str, label: str) -> tuple[str, str, str] | None:
    """A FinRE label as a canonical triple (predicate, subject, object); None for unknown / 自己.

    被X swaps head and tail; undirected predicates get their names sorted."""
    if label in (NO_RELATION, ALIAS):
        return None
    passive = label.startswith("被") and label[1:] in FINRE_LABELS
    base = label[1:] if passive else label
    if base not in FINRE_LABELS:
        raise ValueError(f"unknown FinRE label {label!r}")
    predicate = FINRE_LABELS[base]
    s, o = (tail, head) if passive else (head, tail)
    return _canonical(predicate, s, o)


def _canonical(predicate: str, s: str, o: str) -> tuple[str, str, str]:
    if predicate in FINRE_UNDIRECTED and o < s:
        s, o = o, s
    return (predicate, s, o)


def group_finre(rows: Iterable[FinreRow]) -> list[FinreInstance]:
    """Merge the reversed duplicates and multi-label rows into one instance per (sentence, pair)."""
    groups: dict[tuple[str, frozenset[str]], FinreInstance] = {}
    for row in rows:
        key = (row.sentence, frozenset((row.head, row.tail)))
        inst = groups.get(key)
        if inst is None:
            inst = groups[key] = FinreInstance(row.sentence, row.head, row.tail)
        # record the label in the instance's a->b orientation (the reversed row's passive label flips back)
        label = row.label
        if row.head != inst.a and label not in (NO_RELATION, ALIAS):
            label = label[1:] if label.startswith("被") and label[1:] in FINRE_LABELS else (
                "被" + label if label in FINRE_PASSIVE else label
            )
        if label not in inst.labels:
            inst.labels.append(label)
        gold = finre_gold_key(row.head, row.tail, row.label)
        if gold is not None:
            inst.gold.add(gold)
    return list(groups.values())


def _match_name(text: str, names: Sequence[str]) -> str | None:
    """The name a span text stands for: equal first, else the longest name it contains."""
    if text in names:
        return text
    inside = [n for n in names if n and n in text]
    return max(inside, key=len) if inside else None


def pair_triples(record: dict, a: str, b: str) -> list[tuple[str, str, str, str]]:
    """Triples of a ``kg extract`` record between names a and b: (predicate, subject name, object name, extractor)."""
    out = []
    names = (a, b)
    for t in record["triples"]:
        obj = t["object"]
        if "start" not in obj or t.get("modality") == "negated":  # quantities, literals; negated claims
            continue
        s = _match_name(t["subject"]["text"], names)
        o = _match_name(obj["text"], names)
        if s is None or o is None or s == o:
            continue
        out.append((t["predicate"], s, o, t["extractor"]))
    return out


def score_finre(instances: Sequence[FinreInstance], records: Sequence[dict]) -> dict:
    """P/R/F1 over non-unknown labels, confusion, coverage, alias detection, extractor counts."""
    gold_keys, pred_keys, tp_keys = [], [], []
    confusion: Counter = Counter()
    fired: Counter = Counter()
    covered = covered_mapped = 0
    alias_tp = alias_pred = alias_gold = 0
    errors: dict[str, list] = {"missed": [], "wrong": [], "spurious": []}
    for inst, rec in zip(instances, records):
        triples = pair_triples(rec, inst.a, inst.b)
        fired.update(x[3] for x in triples)
        covered += bool(triples)
        preds = {_canonical(p, s, o) for p, s, o, _ in triples if p in _PREDICATE_LABEL}
        covered_mapped += bool(preds)
        others = sorted({p for p, _, _, _ in triples if p not in _PREDICATE_LABEL})
        gold_keys += inst.gold
        pred_keys += preds
        tp_keys += preds & inst.gold
        for g in sorted(inst.gold):
            if g in preds:
                confusion[(g[0], g[0])] += 1
                continue
            rev = _canonical(g[0], g[2], g[1])
            guesses = sorted(p[0] + (" (reversed)" if p == rev else "") for p in preds - inst.gold)
            if not guesses:
                guesses = [f"other:{o}" for o in others] or ["∅"]
            for guess in guesses:
                confusion[(g[0], guess)] += 1
            errors["missed" if guesses[0] == "∅" or guesses[0].startswith("other:") else "wrong"].append(
                (inst, g, guesses)
            )
        if not inst.gold:
            gold_name = ALIAS if inst.alias else NO_RELATION
            for p in sorted(preds):
                confusion[(gold_name, p[0])] += 1
                errors["spurious"].append((inst, gold_name, [p[0]]))
            if not preds:
                confusion[(gold_name, "∅")] += 1
        # alias: both names resolved to the same entity (lexicon canonical name), different surface
        ents = {e["text"]: e["entity"] for e in rec["entities"]}
        said_alias = inst.a in ents and inst.b in ents and inst.a != inst.b and ents[inst.a] == ents[inst.b]
        alias_gold += inst.alias
        alias_pred += said_alias
        alias_tp += inst.alias and said_alias
    n = len(instances)
    return {
        "instances": n,
        "scores": _table(gold_keys, pred_keys, tp_keys),
        "coverage": {"any_triple": covered / n if n else 0.0, "finre_predicate": covered_mapped / n if n else 0.0,
                     "n_any": covered, "n_mapped": covered_mapped},
        "confusion": confusion,
        "extractors": fired,
        "alias": prf(alias_tp, alias_pred, alias_gold),
        "label_counts": Counter(
            "unknown" if i.no_relation else ALIAS if not i.gold else "relation" for i in instances
        ),
        "errors": errors,
    }


def _finre_rows(split: str, data_dir=None) -> list[FinreRow]:
    from kg.datasets import default_data_dir

    path = Path(data_dir or default_data_dir()) / "finre" / f"{split}.txt"
    return parse_finre(path.read_text(encoding="utf-8").splitlines())


def finre_instances(split: str = "valid", data_dir=None) -> list[FinreInstance]:
    """The grouped instances of FinRE's ``split`` file (``valid`` = the dev split)."""
    return group_finre(_finre_rows(split, data_dir))


def finre_documents(instances: Sequence[FinreInstance], hint_type: str | None = None) -> list[Document]:
    """One document per instance, its two names passed as entity hints (typed ``hint_type``)."""
    return [Document(id=f"finre-{i}", text=inst.sentence, hints=((inst.a, hint_type), (inst.b, hint_type)))
            for i, inst in enumerate(instances)]


def finre_correct(inst: FinreInstance, predicate: str, subject: str, obj: str) -> bool | None:
    """Whether a triple (surface texts) is one of ``inst``'s gold triples; None when it is not a
    FinRE-mapped triple between the instance's two names (it is then not scored)."""
    names = (inst.a, inst.b)
    s, o = _match_name(subject, names), _match_name(obj, names)
    if predicate not in _PREDICATE_LABEL or s is None or o is None or s == o:
        return None
    return _canonical(predicate, s, o) in inst.gold


def evaluate_finre(*, split: str = "valid", limit: int | None = None, options: Options = Options(),
                   data_dir=None, hint_type: str | None = None) -> dict:
    """``hint_type`` None (the default) passes untyped hints, as a JSONL watch-list without types does;
    a type (e.g. COMPANY) types both names, to see what the extractors do when the types are right."""
    from kg.nlp.pipeline import make_nlp

    rows = _finre_rows(split, data_dir)
    instances = group_finre(rows)[:limit]
    docs = finre_documents(instances, hint_type)
    make_nlp(tuple(options.lexicons), options.use_crf, options.segmenter)  # load once, outside the timing
    started = time.perf_counter()
    records = list(extract_records(docs, options))
    seconds = time.perf_counter() - started
    result = score_finre(instances, records)
    result.update(dataset="finre", split=split, rows=len(rows), seconds=seconds, hint_type=hint_type,
                  chars=sum(len(d.text) for d in docs))
    return result


# --------------------------------------------------------------------------- DuIE


#: DuIE entity types -> ours, for typed gold hints (``--hints``); others stay untyped.
DUIE_TYPES = {"人物": "PERSON", "企业": "COMPANY", "机构": "ORG", "地点": "PLACE", "城市": "PLACE", "国家": "PLACE",
              "行政区": "PLACE", "Date": "DATE", "Number": "MONEY"}


def _duie_type(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("@value")
    return DUIE_TYPES.get(value)


def parse_duie_line(line: str) -> tuple[str, list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """One DuIE json line -> (text, mapped gold triples (predicate, subject, object), all raw spo triples).

    Raw triples carry types: (predicate, subject, object, subject type, object type) in our type names."""
    d = json.loads(line)
    raw, gold = [], []
    for spo in d.get("spo_list", []):
        obj = spo["object"]
        o = obj.get("@value", "") if isinstance(obj, dict) else str(obj)
        raw.append((spo["predicate"], spo["subject"], o, _duie_type(spo.get("subject_type")),
                    _duie_type(spo.get("object_type"))))
        if spo["predicate"] in DUIE_MAP:
            ours, swap = DUIE_MAP[spo["predicate"]]
            s, o2 = (o, spo["subject"]) if swap else (spo["subject"], o)
            key = (ours, s.strip(), o2.strip())
            if key not in gold:
                gold.append(key)
    return d["text"], gold, raw


def _lenient_equal(x: str, y: str) -> bool:
    return bool(x) and bool(y) and (x in y or y in x)


def score_duie(golds: Sequence[Sequence[tuple]], preds: Sequence[Sequence[tuple]]) -> dict:
    """Strict (exact texts) and lenient (containment) triple P/R/F1 on the covered predicates."""
    strict_tp, lenient_tp, gold_all, pred_all = [], [], [], []
    errors: dict[str, list] = {"missed": [], "spurious": []}
    for i, (gold, pred) in enumerate(zip(golds, preds)):
        gset, pset = set(gold), set(pred)
        gold_all += gset
        pred_all += pset
        strict_tp += gset & pset
        unmatched = set(gset)
        for p in sorted(pset):
            hit = duie_match(sorted(unmatched), *p)
            if hit is not None:
                unmatched.discard(hit)
                lenient_tp.append(p)
            else:
                errors["spurious"].append((i, p))
        errors["missed"] += [(i, g) for g in sorted(unmatched)]
    return {"strict": _table(gold_all, pred_all, strict_tp), "lenient": _table(gold_all, pred_all, lenient_tp),
            "errors": errors}


def duie_lines(data_dir=None) -> list[str]:
    """The non-blank lines of the DuIE 2.0 sample (the last 1,000 are the dev slice)."""
    from kg.datasets import default_data_dir

    path = Path(data_dir or default_data_dir()) / "duie2" / "train_sample_5000.json"
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def duie_key(triple: dict) -> tuple[str, str, str]:
    """(predicate, subject text, object text) of a ``kg extract`` triple, as DuIE gold is written."""
    return (triple["predicate"], triple["subject"]["text"].strip(), _object_text(triple["object"]).strip())


def duie_match(gold: Iterable[tuple[str, str, str]], predicate: str, subject: str, obj: str) -> tuple | None:
    """The gold triple a predicted one matches leniently (one text contains the other), if any."""
    return next((g for g in gold if g[0] == predicate and _lenient_equal(g[1], subject) and _lenient_equal(g[2], obj)),
                None)


def evaluate_duie(*, last: int = 1000, limit: int | None = None, hints: bool = False,
                  options: Options = Options(), data_dir=None) -> dict:
    from kg.nlp.pipeline import make_nlp

    parsed = [parse_duie_line(ln) for ln in duie_lines(data_dir)[-last:]][:limit]
    docs = []
    for i, (text, gold, raw) in enumerate(parsed):
        # typed gold hints for the covered triples (untyped ones would default to CONCEPT)
        h = tuple(dict.fromkeys((x, t) for p, s, o, st, ot in raw if p in DUIE_MAP for x, t in ((s, st), (o, ot))
                                if x)) if hints else ()
        docs.append(Document(id=f"duie-{i}", text=text, hints=h))
    wanted = {p for p, _ in DUIE_MAP.values()}
    make_nlp(tuple(options.lexicons), options.use_crf, options.segmenter)
    started = time.perf_counter()
    records = list(extract_records(docs, options))
    seconds = time.perf_counter() - started
    preds, fired, fired_all = [], Counter(), Counter()
    for rec in records:
        fired_all.update(t["extractor"] for t in rec["triples"])
        keys = []
        for t in rec["triples"]:
            if t["predicate"] in wanted and t.get("modality") != "negated":
                fired[t["extractor"], t["predicate"]] += 1
                key = duie_key(t)
                if key not in keys:
                    keys.append(key)
        preds.append(keys)
    result = score_duie([g for _, g, _ in parsed], preds)
    result.update(
        dataset="duie", split=f"last {last} lines of train_sample_5000.json", sentences=len(parsed),
        seconds=seconds, chars=sum(len(d.text) for d in docs), hints=hints, extractors=fired,
        extractors_all=fired_all, texts=[t for t, _, _ in parsed],
        raw_predicates=Counter(r[0] for _, _, raw in parsed for r in raw),
    )
    return result


# --------------------------------------------------------------------------- printing / CLI


def _print_table(table: dict, out, label=lambda k: k) -> None:
    print(f"{'predicate':<34}{'P':>7}{'R':>7}{'F1':>7}{'gold':>6}{'pred':>6}{'tp':>5}", file=out)
    for name, s in table.items():
        if name == "micro":
            continue
        print(f"{label(name):<34}{s['p']*100:7.1f}{s['r']*100:7.1f}{s['f']*100:7.1f}{s['n_gold']:6d}{s['n_pred']:6d}"
              f"{s['tp']:5d}", file=out)
    m = table["micro"]
    print(f"{'micro':<34}{m['p']*100:7.1f}{m['r']*100:7.1f}{m['f']*100:7.1f}{m['n_gold']:6d}{m['n_pred']:6d}"
          f"{m['tp']:5d}", file=out)


def _throughput(result: dict, n: int, out) -> None:
    s = result["seconds"]
    print(f"throughput: {n / s if s else 0:,.0f} instances/s, {result['chars'] / s if s else 0:,.0f} chars/s "
          f"({s:.1f} s, whole kg extract pipeline)", file=out)


def print_finre(result: dict, out=None, errors: int = 0) -> None:
    out = out or sys.stdout
    lc = result["label_counts"]
    print(f"FinRE {result['split']} (hints typed {result.get('hint_type') or 'None'}): {result['rows']} rows -> "
          f"{result['instances']} instances (sentence, pair); {lc['relation']} with a relation, "
          f"{lc['unknown']} unknown, {lc[ALIAS]} alias-only", file=out)
    _print_table(result["scores"], out, lambda p: f"{_PREDICATE_LABEL.get(p, '?')} {p}")
    c = result["coverage"]
    print(f"coverage: {c['n_any']}/{result['instances']} instances ({c['any_triple']*100:.1f}%) get any triple "
          f"between head and tail; {c['n_mapped']} ({c['finre_predicate']*100:.1f}%) a FinRE-mapped one", file=out)
    a = result["alias"]
    print(f"自己 (alias, scored apart): P {a['p']*100:.1f} R {a['r']*100:.1f} F1 {a['f']*100:.1f} "
          f"({a['tp']}/{a['n_gold']} gold, {a['n_pred']} predicted; same lexicon canonical name)", file=out)
    fired = ", ".join(f"{k} {v}" for k, v in result["extractors"].most_common()) or "none"
    print(f"extractors firing between the pair: {fired}", file=out)
    print("confusion (gold -> predicted, most common; ∅ = nothing between the pair):", file=out)
    for (g, p), n in result["confusion"].most_common(20):
        print(f"  {n:5d}  {_PREDICATE_LABEL.get(g, g)} {g if g in _PREDICATE_LABEL else ''} -> {p}", file=out)
    _throughput(result, result["instances"], out)
    for kind, items in result["errors"].items():
        for inst, g, guesses in items[:errors]:
            print(f"[{kind}] {g} got {guesses} | {inst.a} / {inst.b} | {inst.sentence}", file=out)


def print_duie(result: dict, out=None, errors: int = 0) -> None:
    out = out or sys.stdout
    hints = "typed gold entities" if result["hints"] else "none"
    covered = ", ".join(f"{k}->{v[0]}" for k, v in DUIE_MAP.items())
    print(f"DuIE 2.0 ({result['split']}, {result['sentences']} sentences; hints: {hints}), "
          f"covered predicates: {covered}", file=out)
    print("strict (exact subject and object text):", file=out)
    _print_table(result["strict"], out)
    print("lenient (one text contains the other):", file=out)
    _print_table(result["lenient"], out)
    print("extractors firing on covered predicates: " + (
        ", ".join(f"{e} {p} {n}" for (e, p), n in result["extractors"].most_common()) or "none"), file=out)
    emitted = ", ".join(f"{e} {n}" for e, n in result["extractors_all"].most_common())
    print(f"all triples emitted on the slice: {emitted}", file=out)
    _throughput(result, result["sentences"], out)
    for kind, items in result["errors"].items():
        for i, t in items[:errors]:
            print(f"[{kind}] {t} | {result['texts'][i]}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kg.eval_re", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, choices=("finre", "duie"))
    parser.add_argument("--limit", type=int, default=None,
                        help="first N instances (FinRE) / sentences of the slice (DuIE)")
    parser.add_argument("--split", default="valid", help="FinRE file stem (valid = dev; train)")
    parser.add_argument("--last", type=int, default=1000, help="DuIE: size of the dev slice (last N lines)")
    parser.add_argument("--hints", action="store_true",
                        help="DuIE: pass gold subject/object texts as typed entity hints")
    parser.add_argument("--hint-type", default=None,
                        help="FinRE: type both hinted names (e.g. COMPANY); default untyped")
    parser.add_argument("--no-model", action="store_true", help="lexicon + patterns only (no CRF)")
    parser.add_argument("--segmenter", default=DEFAULT_SEGMENTER, choices=SEGMENTERS)
    parser.add_argument("--errors", type=int, default=0, metavar="K", help="print K examples of each error kind")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    options = Options(use_crf=not args.no_model, segmenter=args.segmenter)
    if args.dataset == "finre":
        print_finre(evaluate_finre(split=args.split, limit=args.limit, options=options, data_dir=args.data_dir,
                                   hint_type=args.hint_type),
                    errors=args.errors)
    else:
        print_duie(evaluate_duie(last=args.last, limit=args.limit, hints=args.hints, options=options,
                                 data_dir=args.data_dir), errors=args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
