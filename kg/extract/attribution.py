"""Attribution: SPEAKER + speech verb + claim -> states / predicts, and the claim itself.

国泰君安指出,…将进一步提升对算力基础设施的相关需求 -> 国泰君安 predicts 算力需求, with the
whole claim kept as a statement (text, speaker, modality)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kg.extract.base import AGENT_TYPES, register, sentence_views
from kg.model import Fact
from kg.nlp.pipeline import Analysis

__all__ = ["attribution", "SPEECH_VERBS"]

SPEECH_VERBS = re.compile(
    r"表示|指出|认为|声称|宣称|(?<![简号俗统昵别人堪并职])称|预计|预测|预期|估计|强调|透露|坦言|直言|提到|说|写道|留言|回应|分析称|研报称"
)
PREDICTIVE_VERBS = {"预计", "预测", "预期", "估计"}
#: A firm commenting on a company it names is analysing it (FinRE 分析).
ANALYST_TYPES = ("COMPANY", "ORG")
FUTURE = re.compile(r"将|有望|预计|未来|或将|可能|会")
HEDGED = re.compile(r"可能|或|有望|也许|或许|预计|料将|估计")
NEGATED = re.compile(r"未(?!来)|没有|不会|并非|不是|否认")
TOPIC_TYPES = ("CONCEPT", "PRODUCT", "COMPANY", "ORG", "GOV", "FACILITY", "PERSON")
# What may stand between a speaker and the verb: adverbs and a short aside, no clause break.
_GAP = re.compile(r"^[^，,。；;！？!?“”\"的]{0,12}$")
_PRONOUN = re.compile(r"(?:^|[，,])(?:其|该公司|该机构|公司方面|他|她)(?:也|还|则|同时)?$")
_NOT_SPEECH = re.compile(r"称为|称之为|称作|说明|表示为")  # .match(view, pos) anchors at pos


_ANALYST = re.compile(r"(?:证券|研究所|研究院|研究中心|评级|咨询|投行|国际|资本|基金|银行|分析师)$")


def _is_analyst(m) -> bool:
    """Brokers, research houses and rating agencies: whose comments on a company are analysis."""
    return m.type in ANALYST_TYPES and bool(_ANALYST.search(m.canonical or m.norm))


def _related_names(a, b) -> bool:
    """中投 / 中投海外直投公司: one name inside the other is the same group, not an analyst's view."""
    x, y = a.canonical or a.norm, b.canonical or b.norm
    return x in y or y in x


@register("attribution.v1")
def attribution(analysis: Analysis) -> Iterator[Fact]:
    for view in sentence_views(analysis):
        sentence = view.sentence
        speakers = [m for m in view.mentions if m.type in AGENT_TYPES]
        if not speakers:
            continue
        for verb in SPEECH_VERBS.finditer(view.view):
            if _NOT_SPEECH.match(view.view, verb.start()):
                continue
            v_start, v_end = sentence.start + verb.start(), sentence.start + verb.end()
            before = [m for m in speakers if m.end <= v_start and _GAP.match(view.between(m.end, v_start))]
            if not before and _PRONOUN.search(view.between(sentence.start, v_start)):
                # 其认为 / 该公司表示: the agent named last before the pronoun (same sentence)
                before = [m for m in speakers if m.end <= v_start]
            if not before:
                continue
            speaker = before[-1]
            while (chained := SPEECH_VERBS.match(analysis.view, v_end, sentence.end)) is not None:
                v_end = chained.end()  # 留言表示, 回应称: one speech act
            claim_start = v_end
            while claim_start < sentence.end and analysis.view[claim_start] in "，,:：“\" ":
                claim_start += 1
            if claim_start >= sentence.end:
                continue
            claim = analysis.document.text[claim_start : sentence.end].rstrip("。！？!?；;”\"")
            claim_view = analysis.view[claim_start : claim_start + len(claim)]
            modality = "negated" if NEGATED.search(claim_view) else "hedged" if HEDGED.search(claim_view) else "asserted"
            predicate = "predicts" if verb.group(0) in PREDICTIVE_VERBS or FUTURE.search(claim_view) else "states"
            confidence = 0.8 if v_start - speaker.end <= 2 else 0.65
            topics = [
                m
                for m in view.mentions_in(claim_start, sentence.end, TOPIC_TYPES)
                if m.norm != speaker.norm and (m.canonical or m.norm) != (speaker.canonical or speaker.norm)
            ]
            seen: set[str] = set()
            emitted = False
            for topic in topics:
                key = topic.canonical or topic.norm
                if key in seen:
                    continue
                seen.add(key)
                emitted = True
                yield Fact(speaker, predicate, topic, sentence, "attribution.v1", confidence, claim=claim, modality=modality)
                if _is_analyst(speaker) and topic.type == "COMPANY" and not _related_names(speaker, topic):
                    yield Fact(speaker, "analyzes", topic, sentence, "attribution.v1", round(confidence * 0.7, 3), modality=modality)
            if not emitted:
                # The claim is still worth keeping: a statement with a speaker and no topic entity.
                yield Fact(speaker, "states", claim, sentence, "attribution.v1", confidence * 0.8, claim=claim, modality=modality)
            break  # one attribution per sentence: the first speech verb after a speaker
