"""Quantities: who owns how many of what, and measured values.

中国电信现拥有700多个数据中心,3000多个边缘计算中心,51.3万个IDC机架 -> three ``owns``
facts to Quantity values (700, 个, of 数据中心, at least); 总算力规模预计将达到6.2Eflops ->
``hasQuantity`` 6.2 EFLOPS of 总算力规模 (hedged)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from kg.extract.base import AGENT_TYPES, SentenceView, register, sentence_views
from kg.model import ORG_TYPES, Fact, Mention, QuantityValue
from kg.nlp.pipeline import Analysis

__all__ = ["parse_quantity", "owns", "measures"]

MAGNITUDES = {
    "万亿": 10**12, "千亿": 10**11, "百亿": 10**10, "十亿": 10**9, "亿": 10**8,
    "千万": 10**7, "百万": 10**6, "十万": 10**5, "万": 10**4, "千": 10**3, "百": 10**2,
}
_PARTS = re.compile(
    r"^(?P<num>\d+(?:,\d{3})*(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?)"
    r"(?P<mag>万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千|百)?(?P<fuzz>多|余|几)?\s?(?P<unit>.*)$"
)
_MORE_THAN = re.compile(r"(?:超过|突破|逾|超|高于|大于|多于)$")
_APPROX = re.compile(r"(?:约|近|大约|接近|将近|左右)$")


def parse_quantity(norm: str, original: str, context_before: str = "") -> QuantityValue | None:
    """Normalise a number with magnitude and unit: 51.3万个 -> 513000 个; 700多个 -> 700, at least.

    ``norm`` is the Simplified text used for parsing; ``original`` is kept for the unit label."""
    m = _PARTS.match(norm)
    if not m:
        return None
    num = m.group("num").replace(",", "")
    try:
        if num[0].isdigit():
            value = Decimal(num)
        else:
            import cn2an

            value = Decimal(str(cn2an.cn2an(num, "smart")))
    except (InvalidOperation, ValueError, KeyError):
        return None
    if m.group("mag"):
        value *= MAGNITUDES[m.group("mag")]
    if value == value.to_integral_value():
        value = value.to_integral_value()
    else:
        value = value.normalize()
    unit = original[m.start("unit") :].strip() or m.group("unit")
    if unit.lower().endswith("flops"):
        unit = unit[:-5].upper() + "FLOPS"
    fuzzy = m.group("fuzz") is not None
    return QuantityValue(
        value=value,
        unit=unit,
        text=original,
        approximate=fuzzy or bool(_APPROX.search(context_before)),
        at_least=fuzzy,
        more_than=bool(_MORE_THAN.search(context_before)),
    )


_BRACKETED = re.compile(r"[（(][^（()）]{0,16}[)）]")  # 中国电信(00728)现拥有: the code is no gap
_COUNT_AFTER = re.compile(r"(?:共|约|近|超过|逾|达|合计|总计)?")
OWN_VERBS = re.compile(r"拥有|持有|建有|运营着?|管理着?|部署了?|建成了?|共有|现有")
_LIST_SEP = re.compile(r"^(?:[，,、]|和|及|以及|与)$")
_ITEM_END = re.compile(r"[，,、。；;！？\n]|和|及|以及")
VALUE_TYPES = ("QUANTITY", "MONEY", "PERCENT")
OF_TYPES = ("FACILITY", "CONCEPT", "PRODUCT")


def _value(analysis: Analysis, q: Mention, of: Mention | None) -> QuantityValue | None:
    before = analysis.view[max(0, q.start - 4) : q.start]
    value = parse_quantity(q.norm, q.text, before)
    if value is None:
        return None
    return QuantityValue(value.value, value.unit, value.text, of, value.approximate, value.at_least, value.more_than)


def _of(view: SentenceView, q: Mention, limit: int) -> Mention | None:
    """What is counted: the mention right after the number, or the noun phrase up to the item's end."""
    nxt = [m for m in view.mentions if m.start == q.end and m.type in OF_TYPES]
    if nxt:
        return nxt[0]
    tail = view.analysis.view[q.end : limit]
    m = _ITEM_END.search(tail)
    stop = q.end + (m.start() if m else len(tail))
    if not 1 < stop - q.end <= 12:
        return None
    text = view.analysis.document.text[q.end : stop]
    return Mention(q.end, stop, text, "CONCEPT", view.analysis.view[q.end : stop], "pattern")


@register("owns.v1")
def owns(analysis: Analysis) -> Iterator[Fact]:
    for view in sentence_views(analysis):
        sentence = view.sentence
        for verb in OWN_VERBS.finditer(view.view):
            v_start, v_end = sentence.start + verb.start(), sentence.start + verb.end()
            subject = _owner_before(view, v_start)
            if subject is None:
                continue
            # 现有5G基站约190万个: the counted thing before its number
            counted = [m for m in view.mentions if m.start == v_end and m.type in OF_TYPES]
            if counted:
                after = _COUNT_AFTER.match(analysis.view, counted[0].end, sentence.end)
                q = next((m for m in view.mentions if after and m.start == after.end() and m.type == "QUANTITY"), None)
                value = _value(analysis, q, counted[0]) if q else None
                if value is not None:
                    yield Fact(subject, "owns", value, sentence, "owns.v1", 0.75, modality="asserted")
                continue
            values = [m for m in view.mentions if m.start >= v_end and m.type == "QUANTITY"]
            pos = v_end
            for q in values:
                if q.start - pos > 3 and not _LIST_SEP.match(view.between(pos, q.start).strip()):
                    break
                of = _of(view, q, sentence.end)
                value = _value(analysis, q, of)
                if value is None:
                    break
                yield Fact(subject, "owns", value, sentence, "owns.v1", 0.8 if q.start - v_end <= 2 else 0.7, modality="asserted")
                pos = of.end if of else q.end


MEASURE_VERBS = re.compile(r"(?:预计|有望|或|将|已|均)*(?:达到|突破|超过|达|为|约为|增至|提升至|升至|降至)")
HEDGE = re.compile(r"预计|将|有望|或")


# A measure is a noun phrase: 总算力规模, 营业收入; not 使用中山通, 获得分红.
_VERB_START = re.compile(r"(?:使用|实现|完成|获得|提供|进行|推动|带动|占|使|让|把|对|向|在|从|以|按|较|比|同比|环比|累计|共|已|将|还|也|再)")
_MEASURE_TEXT = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,10}$")


@register("measure.v1")
def measures(analysis: Analysis) -> Iterator[Fact]:
    """SUBJECT(的)MEASURE(预计将)达到VALUE -> hasQuantity, the measure as ``kg:of``.

    中国电信的总算力规模预计将达到6.2Eflops. A clause without its own subject continues an
    ``owns`` list of the same sentence (…51.3万个IDC机架,机架利用率突破70%)."""
    for view in sentence_views(analysis):
        sentence = view.sentence
        owner = _list_owner(view)
        for q in view.mentions:
            if q.type not in VALUE_TYPES:
                continue
            c_start, _ = view.clause_bounds(q.start)
            verb = None
            for verb in MEASURE_VERBS.finditer(view.between(c_start, q.start)):
                pass
            if verb is None or c_start + verb.end() != q.start:
                continue
            v_start = c_start + verb.start()
            in_clause = view.mentions_in(c_start, v_start, ORG_TYPES)
            if in_clause:
                subject = in_clause[-1]
                m_start = subject.end
                # 京东去年的营业收入: skip a date and 的 between the subject and its measure
                for d in view.mentions_in(subject.end, v_start, ("DATE",)):
                    if analysis.view[m_start : d.start].strip("的 ") == "":
                        m_start = d.end
                m_start += 1 if analysis.view[m_start : m_start + 1] == "的" else 0
                in_clause_subject = True
            elif owner is not None and owner.end <= c_start:
                subject, m_start, in_clause_subject = owner, c_start, False
            else:
                continue
            measure = analysis.view[m_start:v_start]
            if not _MEASURE_TEXT.match(measure) or "的" in measure or OWN_VERBS.search(measure) or _VERB_START.match(measure):
                continue
            of = Mention(m_start, v_start, analysis.document.text[m_start:v_start], "CONCEPT", measure, "pattern")
            value = _value(analysis, q, of)
            if value is None:
                continue
            hedged = bool(HEDGE.search(view.between(v_start, q.start)))
            confidence = (0.75 if in_clause_subject else 0.6) * (0.9 if hedged else 1.0)
            yield Fact(subject, "hasQuantity", value, sentence, "measure.v1", round(confidence, 3), modality="hedged" if hedged else "asserted")


def _owner_before(view: SentenceView, v_start: int) -> Mention | None:
    """The agent right before an ownership verb in its clause (a bracketed code may sit between)."""
    c_start, _ = view.clause_bounds(v_start)
    subjects = view.mentions_in(c_start, v_start, AGENT_TYPES)
    if subjects and len(_BRACKETED.sub("", view.analysis.view[subjects[-1].end : v_start])) <= 6:
        return subjects[-1]
    return None


def _list_owner(view: SentenceView) -> Mention | None:
    """The subject of an ``owns`` list in this sentence, if there is one."""
    for verb in OWN_VERBS.finditer(view.view):
        owner = _owner_before(view, view.sentence.start + verb.start())
        if owner is not None:
            return owner
    return None
