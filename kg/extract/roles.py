"""People's roles and companies' stock codes.

360集团创始人、董事长周鸿祎 -> 周鸿祎 founderOf 360集团, 周鸿祎 chairmanOf 360集团;
中国电信(00728) -> 中国电信 hasStockCode "00728"."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kg.extract.base import register, sentence_views
from kg.model import ORG_TYPES, Fact
from kg.nlp.lexicon import load_lexicon
from kg.nlp.pipeline import Analysis

__all__ = ["roles", "stock_codes"]

# Between the organisation, the titles and the person: 的, 、, 兼, 及, spaces.
_JOIN = re.compile(r"^[的、兼及和与\s]*$")


@register("role.v1")
def roles(analysis: Analysis) -> Iterator[Fact]:
    titles = load_lexicon().titles
    for view in sentence_views(analysis):
        sentence = view.sentence
        ms = view.mentions
        for i, org in enumerate(ms):
            if org.type not in ORG_TYPES:
                continue
            # ORG (的)? TITLE (、TITLE)* PERSON
            chain = []
            j, pos = i + 1, org.end
            while j < len(ms) and ms[j].type == "POSITION" and _JOIN.match(view.between(pos, ms[j].start)):
                chain.append(ms[j])
                pos = ms[j].end
                j += 1
            if not chain or j >= len(ms) or ms[j].type != "PERSON" or not _JOIN.match(view.between(pos, ms[j].start)):
                continue
            person = ms[j]
            for title in chain:
                predicate = titles.get(title.norm, "holdsPosition")
                yield Fact(
                    person, predicate, org, sentence, "role.v1", 0.85,
                    modality="asserted", extra=(("title", title.text),),
                )


@register("stockcode.v1")
def stock_codes(analysis: Analysis) -> Iterator[Fact]:
    for view in sentence_views(analysis):
        sentence = view.sentence
        for m in view.mentions:
            if m.code and m.type in ORG_TYPES:
                yield Fact(m, "hasStockCode", m.code, sentence, "stockcode.v1", 0.95, modality="asserted")
