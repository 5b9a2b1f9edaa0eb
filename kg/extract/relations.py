"""Trigger-verb relations between two mentions in one clause: released, basedOn,
and the FinRE-aligned finance relations (acquires, investsIn, cooperatesWith, …)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from kg.extract.base import AGENT_TYPES, MODALITY_FACTOR, SentenceView, register, sentence_views, sentences
from kg.model import ORG_TYPES, Fact, Mention
from kg.nlp.pipeline import Analysis

__all__ = ["TRIGGERS", "based_on", "finance", "modality_of", "released", "rivals"]

HEDGES = re.compile(r"将|拟|计划|有望|或将|可能|预计|准备")
NEGATION = re.compile(r"未(?!来)|没有|不会|否认|放弃|终止|取消|叫停")


@dataclass(frozen=True)
class Trigger:
    predicate: str
    pattern: re.Pattern[str]
    subject_types: tuple[str, ...]
    object_types: tuple[str, ...]


#: Active-voice triggers: SUBJECT … TRIGGER … OBJECT within one clause.
TRIGGERS = (
    Trigger("released", re.compile(r"发布|释出|推出|上线|开源|亮相|面世"), AGENT_TYPES, ("PRODUCT",)),
    Trigger("acquires", re.compile(r"收购|并购"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("increasesStakeIn", re.compile(r"增持|举牌|受让"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("reducesStakeIn", re.compile(r"减持|抛售|售出|出售所持|出让所持"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("owns", re.compile(r"(?<!参)控股(?!股东|子公司)|全资拥有"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("holdsSharesIn", re.compile(r"持有|持股"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("investsIn", re.compile(r"入股|投资|参股"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("injectsCapitalInto", re.compile(r"注资|增资"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("establishes", re.compile(r"成立|设立|创办|创立|组建"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("analyzes", re.compile(r"分析"), ORG_TYPES + ("PERSON",), ORG_TYPES),
    Trigger("helps", re.compile(r"帮助|扶持|支持"), ORG_TYPES, ORG_TYPES),
    Trigger("issues", re.compile(r"发行"), ORG_TYPES, ORG_TYPES + ("PRODUCT",)),
    Trigger("transfersTo", re.compile(r"转让给|出售给"), ORG_TYPES + ("PERSON",), ORG_TYPES + ("PERSON",)),
    Trigger("ordersFrom", re.compile(r"采购|订购"), ORG_TYPES, ORG_TYPES),
    Trigger("owesDebtTo", re.compile(r"欠款|拖欠"), ORG_TYPES + ("PERSON",), ORG_TYPES + ("PERSON",)),
    Trigger("restructures", re.compile(r"重组"), ORG_TYPES, ORG_TYPES),
    Trigger("backdoorListsVia", re.compile(r"借壳"), ORG_TYPES, ORG_TYPES),
)
#: Symmetric triggers: A 与/和/同 B … TRIGGER.
JOINT = (
    ("jointVentureWith", re.compile(r"合资")),
    ("signsWith", re.compile(r"签约|签署|签订|框架协议")),
    ("cooperatesWith", re.compile(r"合作|联合|携手|联手")),
    ("mergesWith", re.compile(r"合并")),
    ("negotiatesWith", re.compile(r"商讨|洽谈|谈判|磋商")),
    ("inDisputeWith", re.compile(r"纠纷|诉讼|起诉|侵权|索赔|仲裁")),
    ("competesWith", re.compile(r"竞争|对手|抗衡")),
    ("tradesWith", re.compile(r"交易")),
)
# A (adverbs) 与/和/同/跟 B: 双汇国际宣布已与中国银行签订…
_WITH = re.compile(r"^(?:[已将正式宣布今日近日日前再次首次共同也还]{0,6})(?:与|和|同|跟)$")
_PLANNED = re.compile(r"拟|计划|将|准备|有意|打算|筹划")
#: OBJECT 由/被/获 SUBJECT TRIGGER: the passive shapes news uses.
_PASSIVE = re.compile(r"^(?:已|将|正式|近日|今日|日前)?(?:是由|由|被|获得?)$")
_ADVERBS = re.compile(r"^[已将正式宣布今日近日日前再次首次共同所独家全资]{0,6}$")


def modality_of(clause: str) -> str:
    """negated (未, 没有, 否认 …), hedged (将, 拟, 可能 …) or asserted."""
    return "negated" if NEGATION.search(clause) else "hedged" if HEDGES.search(clause) else "asserted"


def _fact(view: SentenceView, s: Mention, predicate: str, o: Mention, name: str, gap: int) -> Fact:
    modality = modality_of(view.between(min(s.start, o.start), max(s.end, o.end)))
    confidence = (0.85 if gap <= 4 else 0.7 if gap < 99 else 0.6) * MODALITY_FACTOR[modality]
    return Fact(s, predicate, o, view.sentence, name, round(confidence, 3), modality=modality)


@cache
def _any_trigger(triggers: tuple[Trigger, ...]) -> re.Pattern[str]:
    """Matches somewhere in a text exactly when one of the triggers' patterns does (one scan
    of a sentence instead of one per trigger: most sentences have none)."""
    flags = {t.pattern.flags for t in triggers}
    if len(flags) > 1:
        return re.compile("")  # patterns compiled differently: no shortcut (matches every text)
    return re.compile("|".join(f"(?:{t.pattern.pattern})" for t in triggers), flags.pop() if flags else 0)


def _triggered(analysis: Analysis, triggers: tuple[Trigger, ...], name: str) -> Iterator[Fact]:
    any_trigger = _any_trigger(triggers)
    for view in sentences(analysis):
        if len(view.mentions) < 2 or not any_trigger.search(view.view):
            continue  # a fact needs a trigger and two mentions
        for trig in triggers:
            for m in trig.pattern.finditer(view.view):
                t_start, t_end = view.sentence.start + m.start(), view.sentence.start + m.end()
                c_start, c_end = view.clause_bounds(t_start)
                subjects = view.mentions_in(c_start, t_start, trig.subject_types)
                gap = None
                if not subjects:
                    # Topic chain: 腾讯控股宣布,将以50亿港元收购X -> the sentence's topic is the subject
                    # when the trigger's own clause names no agent before it.
                    if view.mentions_in(c_start, t_start, AGENT_TYPES):
                        continue
                    subjects = view.mentions_in(view.sentence.start, c_start, trig.subject_types)[:1]
                    gap = 99
                if not subjects:
                    continue
                subject = subjects[-1]
                predicate = trig.predicate
                if predicate == "acquires" and _PLANNED.search(view.between(max(subject.end, c_start), t_start)):
                    predicate = "plansToAcquire"  # 拟/计划/将…收购
                for obj in view.mentions_in(t_end, c_end, trig.object_types):
                    if obj.norm == subject.norm:
                        continue
                    yield _fact(view, subject, predicate, obj, name, gap or t_start - subject.end)
                if gap is None:
                    # passive: Sora由OpenAI发布, 优酷被阿里巴巴收购, 星河科技获腾讯投资
                    before = view.mentions_in(c_start, subject.start, trig.object_types)
                    if before and before[-1].norm != subject.norm and _PASSIVE.match(
                            view.between(before[-1].end, subject.start)) and _ADVERBS.match(
                            view.between(subject.end, t_start)):
                        yield _fact(view, subject, predicate, before[-1], name, t_start - subject.end)


@register("release.v1")
def released(analysis: Analysis) -> Iterator[Fact]:
    """ORG/PERSON 发布/推出/释出 PRODUCT: OpenAI分别推出了DALL·E和ChatGPT -> two facts."""
    yield from _triggered(analysis, TRIGGERS[:1], "release.v1")


@register("finance.v1")
def finance(analysis: Analysis) -> Iterator[Fact]:
    """FinRE-aligned trigger relations between organisations and people."""
    yield from _triggered(analysis, TRIGGERS[1:], "finance.v1")
    for view in sentences(analysis):
        agents = [m for m in view.mentions if m.type in AGENT_TYPES]
        for a, b in zip(agents, agents[1:]):
            if not _WITH.match(view.between(a.end, b.start)):
                continue
            c_start, c_end = view.clause_bounds(b.end)
            tail = view.between(b.end, c_end)
            for predicate, pattern in JOINT:
                if pattern.search(tail):  # 签订《合作意向书》: signsWith and cooperatesWith
                    yield _fact(view, a, predicate, b, "finance.v1", 1)


_RIVALRY = re.compile(r"竞争对手|对手|仅次于|抗衡|角逐|争夺|(?:相比|相较)")


@register("rivals.v1")
def rivals(analysis: Analysis) -> Iterator[Fact]:
    """Companies named around a rivalry cue compete: 与老大万科相比, 仅次于惠而浦, 竞争对手."""
    for view in sentences(analysis):
        cue = _RIVALRY.search(view.view)
        if not cue:
            continue
        cue_at = view.sentence.start + cue.start()
        orgs = [m for m in view.mentions if m.type in ORG_TYPES]
        for i, a in enumerate(orgs):
            for b in orgs[i + 1 :]:
                if (a.canonical or a.norm) == (b.canonical or b.norm):
                    continue
                if min(abs(cue_at - a.end), abs(cue_at - b.end)) > 30:
                    continue
                yield Fact(a, "competesWith", b, view.sentence, "rivals.v1", 0.5, modality="asserted")


_BASED_ON = re.compile(r"建立在|基于|采用了?|借鉴了?")
_PRONOUN = re.compile(r"^(?:它|其|该模型|该技术|该产品|这一模型)")


@register("basedon.v1")
def based_on(analysis: Analysis) -> Iterator[Fact]:
    """PRODUCT 建立在/基于/采用 … PRODUCT: Sora建立在…DALL-E和GPT模型的研究基础之上.

    A clause that opens with a pronoun (它, 该模型) refers to the product last named
    in an earlier sentence (confidence lowered)."""
    last_product: Mention | None = None
    for view in sentence_views(analysis):
        sentence = view.sentence
        for m in _BASED_ON.finditer(view.view):
            t_start, t_end = sentence.start + m.start(), sentence.start + m.end()
            c_start, c_end = view.clause_bounds(t_start)
            subjects = view.mentions_in(c_start, t_start, ("PRODUCT",))
            subject, confidence = (subjects[-1], 0.8) if subjects else (None, 0.6)
            if subject is None and _PRONOUN.match(view.between(c_start, t_start)):
                subject = last_product
            if subject is None:
                continue
            for obj in view.mentions_in(t_end, c_end, ("PRODUCT", "CONCEPT")):
                if obj.norm != subject.norm and obj.type == "PRODUCT":
                    yield Fact(subject, "basedOn", obj, sentence, "basedon.v1", confidence, modality="asserted")
        products = [m for m in view.mentions if m.type == "PRODUCT"]
        if products:
            last_product = products[0] if len({p.norm for p in products}) > 1 else products[-1]
