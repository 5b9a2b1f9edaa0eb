"""Company structure and profile facts from the words between two mentions.

广汇集团在桂林的子公司——广运实业 -> 广汇集团 owns 广运实业, 广运实业 subsidiaryOf 广汇集团;
大同煤业的控股股东大同集团 -> 大同集团 owns 大同煤业; 中汇医药第二大股东富升投资 -> holdsSharesIn;
X于2011年1月10日登记成立 -> foundedOn; X（简称MQTV） -> shortName; X总部位于上海 -> headquarteredIn;
X的创始人是Y / Y创办了X -> founderOf."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from kg.extract.base import SentenceView, register, sentences
from kg.model import ORG_TYPES, Fact, Mention
from kg.nlp.pipeline import Analysis

__all__ = ["branches", "ownership", "profile"]

_SUBSIDIARY = re.compile(r"^(?:在\w{1,6})?(?:的)?(?:全资|控股|参股)?(?:子公司|孙公司|附属公司)(?:——|—|:|：|，|,)?$")
_UNDER = re.compile(r"^旗下(?:的)?(?:全资|控股)?(?:子公司|公司|品牌)?$")
_PARENT = re.compile(r"^(?:的)?(?:控股股东|母公司|实际控制人)(?:为|是)?$")
_HOLDER = re.compile(r"^(?:的)?第[一二三四五六七八九十\d]+大股东(?:为|是)?$")
_IS = re.compile(r"^(?:是|为|系)$")
_OF_SUB = re.compile(r"的(?:全资|控股)?(?:子公司|孙公司|附属公司)")


def _pairs(view: SentenceView, types: tuple[str, ...]) -> Iterator[tuple[Mention, Mention, str]]:
    ms = [m for m in view.mentions if m.type in types]
    for a, b in pairwise(ms):
        yield a, b, view.between(a.end, b.start)


def _owns(parent: Mention, child: Mention, s, extractor: str, confidence: float) -> Iterator[Fact]:
    """parent owns child, and child subsidiaryOf parent: the two directions of one statement."""
    yield Fact(parent, "owns", child, s, extractor, confidence, modality="asserted")
    yield Fact(child, "subsidiaryOf", parent, s, extractor, confidence, modality="asserted")


@register("ownership.v1")
def ownership(analysis: Analysis) -> Iterator[Fact]:
    for view in sentences(analysis):
        s = view.sentence
        for a, b, gap in _pairs(view, ORG_TYPES):
            if _SUBSIDIARY.match(gap) or _UNDER.match(gap):
                yield from _owns(a, b, s, "ownership.v1", 0.75)
            elif _PARENT.match(gap) or (_IS.match(gap) and _OF_SUB.match(view.analysis.view, b.end)):
                yield from _owns(b, a, s, "ownership.v1", 0.75)  # A的控股股东B; A是B的全资子公司
            elif _HOLDER.match(gap):
                yield Fact(b, "holdsSharesIn", a, s, "ownership.v1", 0.7, modality="asserted")


# Patterns used with .match(text, pos) carry no ^: it would not anchor at pos.
#: What a branch's name adds: a business line or an operating unit (not 基本法, 邦联, 哈芬).
_BUSINESS = re.compile(
    r"(?:公司|集团|银行|分行|证券|科技|控股|商业|商管|地产|置业|物业|投资|资本|基金|保险|电子|汽车|能源|传媒|文化|医药|药业|"
    r"物流|电商|金融|支付|云|中国|国际|海外|实业|贸易|零售|酒店|航空|电讯|电信|通信|网络)"
)
_FORM_TAIL = re.compile(r"(?:集团|控股|股份|有限|责任|公司|国际|总部|[-－]?(?:SW|W|S|B))+$")


def _branch(parent: str, child: str, places: set[str]) -> bool:
    """``child`` is a business line of ``parent`` by its name: 中投海外直投公司 <- 中投,
    万达商管公司 <- 万达. Legal forms (五粮液集团有限公司) and place prefixes (云南天原集团)
    name the same company, not a branch."""
    if len(parent) < 2 or not child.startswith(parent) or child == parent:
        return False
    rest = _FORM_TAIL.sub("", child[len(parent) :])
    return len(rest) >= 2 and rest not in places and bool(_BUSINESS.search(child[len(parent) :]))


@register("branch.v1")
def branches(analysis: Analysis) -> Iterator[Fact]:
    """Two organisations in a sentence, one named as the other plus a place or business line."""
    for view in sentences(analysis):
        orgs = [m for m in view.mentions if m.type == "COMPANY"]
        places = {m.norm for m in view.mentions if m.type == "PLACE"}
        for a in orgs:
            for b in orgs:
                if _branch(a.norm, b.norm, places):
                    yield from _owns(a, b, view.sentence, "branch.v1", 0.45)


_FOUNDED_AFTER = re.compile(r"(?:[^，。；,;]{0,24}?)(?:注册|登记|正式|宣告)?(?:成立|创立|创建|组建|注册成立)")
_FOUNDED_BEFORE = re.compile(r"^(?:的)?(?:成立|创立|创建|组建)(?:于|在)$")
_SHORT = re.compile(r"(?:[（(](?:以下)?简称[：:]?\s*[“\"「『]?([^”\"」』）)，,]{1,16}?)[”\"」』]?[）)]|[，,]\s*(?:以下)?简称[“\"「『]([^”\"」』）)，,]{1,16})[”\"」』])")
#: X简称MTC / X，简称MTC: an unquoted short name right after 简称 (Latin, or up to 8 Han characters).
_SHORT_BARE = re.compile(
    r"[，,]?\s*(?:以下)?简称(?:为|是)?[：:]?\s*[“\"「『]?([A-Za-z][A-Za-z0-9&.\-]{1,11}|[\u4e00-\u9fff]{2,8}(?=[”\"」』，,。；;）)\s]|$))")
#: X（CBS） / X（航天八院）: a bracketed name right after an organisation.
_PAREN = re.compile(r"\s*[（(]([A-Z][A-Za-z&]{1,7}|[\u4e00-\u9fff]{2,6})[）)]")
_CAPITAL = re.compile(r"^(?:的)?注册资本(?:金)?(?:为|是|达|共|合计)?[：:]?$")
#: Y和Z、W共同创建了X: every founder of a list.
_CO_FOUNDED = re.compile(r"^(?:等人)?(?:共同|联合|一起)(?:创办|创立|创建|创始)(?:了)?$")
_HQ = re.compile(r"^(?:的)?总部(?:位于|设在|设于|在|座落于|坐落于)$")
_HQ_BEFORE = re.compile(r"总部(?:位于|设在|设于)$")
_FOUNDER_IS = re.compile(r"^(?:的)?(?:创始人|创办人)(?:是|为)$")
_CREATED = re.compile(r"^(?:一手|亲自|先后|于\S{2,12})?(?:创办|创立|创建)(?:了)?$")


def _abbreviates(short: str, name: str) -> bool:
    """Latin capitals (CBS) for any name; Han characters of ``name`` in order and fewer of them
    (北大 / 北京大学, 会宁一中 / 会宁县第一中学; not 海淀校区 / 北京大学)."""
    if short.isascii():
        return short.isupper()
    chars = iter(name)
    return len(short) < len(name) and all(ch in chars for ch in short)


def _short_names(analysis: Analysis, m: Mention, s) -> Iterator[Fact]:
    """shortName facts for the organisation ``m`` from what follows it: （简称X）, ，简称“X”, 简称X,
    or a bracketed acronym / abbreviation (哥伦比亚广播公司(CBS), 北京大学（北大）)."""
    text = analysis.view
    found = _SHORT.match(text, m.end) or _SHORT_BARE.match(text, m.end)
    if found is None:
        found = _PAREN.match(text, m.end)
        if found is None or not _abbreviates(found.group(1), m.norm):
            return
    group = found.lastindex  # the one alternative that matched
    name = analysis.document.text[found.start(group) : found.end(group)]
    # the confidence is replaced by the measured precision (rule-precision.json)
    yield Fact(m, "shortName", name, s, "profile.v1", 0.8, modality="asserted")


@register("profile.v1")
def profile(analysis: Analysis) -> Iterator[Fact]:
    text = analysis.view
    for view in sentences(analysis):
        s = view.sentence
        ms = view.mentions
        for i, m in enumerate(ms):
            if m.type in ORG_TYPES:
                yield from _short_names(analysis, m, s)
            nxt = ms[i + 1] if i + 1 < len(ms) else None
            if nxt is None:
                continue
            if m.type == "DATE" and nxt.type in ORG_TYPES and view.between(m.end, nxt.start) in ("，", ",", "") and (
                re.match(r"(?:正式)?(?:成立|创立|组建)", text[nxt.end : nxt.end + 4])
            ):
                yield Fact(nxt, "foundedOn", m.text, s, "profile.v1", 0.75, modality="asserted")  # 1981年7月，X成立
            gap = view.between(m.end, nxt.start)
            if m.type in ORG_TYPES and nxt.type == "DATE":
                after = _FOUNDED_AFTER.match(text, nxt.end, s.end)
                if (gap in ("", "于", "在") and after) or _FOUNDED_BEFORE.match(gap):
                    yield Fact(m, "foundedOn", nxt.text, s, "profile.v1", 0.8, modality="asserted")
            if m.type in ORG_TYPES and nxt.type == "PLACE" and _HQ.match(gap):
                yield Fact(m, "headquarteredIn", nxt, s, "profile.v1", 0.85, modality="asserted")
            if m.type == "PLACE" and nxt.type in ORG_TYPES and gap == "的" and _HQ_BEFORE.search(view.between(s.start, m.start)):
                yield Fact(nxt, "headquarteredIn", m, s, "profile.v1", 0.8, modality="asserted")
            if m.type in ORG_TYPES and nxt.type == "PERSON" and _FOUNDER_IS.match(gap):
                yield Fact(nxt, "founderOf", m, s, "profile.v1", 0.85, modality="asserted")
            if m.type == "PERSON" and nxt.type in ORG_TYPES and _CREATED.match(gap):
                yield Fact(m, "founderOf", nxt, s, "profile.v1", 0.8, modality="asserted")
            if m.type in ORG_TYPES and nxt.type == "MONEY" and _CAPITAL.match(gap):
                yield Fact(m, "registeredCapital", nxt.text, s, "profile.v1", 0.85, modality="asserted")
            if m.type == "PERSON" and nxt.type in ORG_TYPES and _CO_FOUNDED.match(gap):
                # the people listed right before: 卡尔·蔡司和恩斯特·阿贝、奥托·肖特共同创建了蔡司公司
                k = i
                while k >= 0 and ms[k].type == "PERSON" and (k == i or re.fullmatch(r"[和与、及,，]", view.between(ms[k].end, ms[k + 1].start))):
                    yield Fact(ms[k], "founderOf", nxt, s, "profile.v1", 0.8, modality="asserted")
                    k -= 1
