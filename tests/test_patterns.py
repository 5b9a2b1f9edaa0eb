"""Rule layers on small strings: quantities, stock codes, dates, numbers, quoted names."""

from __future__ import annotations

from decimal import Decimal
from itertools import accumulate

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kg.extract.quantities import parse_quantity
from kg.nlp import patterns
from kg.nlp.patterns import DATE_RE, normalise_code
from kg.text import analysis_view, to_traditional

# ---------------------------------------------------------------- parse_quantity

QUANTITIES = [
    # (text, context before, value, unit, approximate, at_least, more_than)
    ("700多个", "", "700", "个", True, True, False),
    ("300余家", "", "300", "家", True, True, False),
    ("2万多名", "", "20000", "名", True, True, False),
    ("51.3万个", "", "513000", "个", False, False, False),
    ("1.2万个", "", "12000", "个", False, False, False),
    ("1.2万亿元", "", "1200000000000", "元", False, False, False),
    ("1.50亿元", "", "150000000", "元", False, False, False),
    ("3,000家", "", "3000", "家", False, False, False),
    ("6.2Eflops", "", "6.2", "EFLOPS", False, False, False),
    ("3.5Pflops", "", "3.5", "PFLOPS", False, False, False),
    ("6.2 EFLOPS", "", "6.2", "EFLOPS", False, False, False),
    ("12.5GW", "", "12.5", "GW", False, False, False),
    ("七百个", "", "700", "个", False, False, False),
    ("五百台", "", "500", "台", False, False, False),
    ("两千台", "", "2000", "台", False, False, False),
    ("十二座", "", "12", "座", False, False, False),
    ("一点五万个", "", "15000", "个", False, False, False),
    ("15%", "", "15", "%", False, False, False),
    # the words before the number
    ("190万个", "拥有超过", "1900000", "个", False, False, True),
    ("50家", "持有逾", "50", "家", False, False, True),
    ("190万个", "拥有约", "1900000", "个", True, False, False),
    ("50家", "将近", "50", "家", True, False, False),
]


@pytest.mark.parametrize(("text", "before", "value", "unit", "approximate", "at_least", "more_than"), QUANTITIES)
@pytest.mark.parametrize("script", ["zh-Hans", "zh-Hant"])
def test_parse_quantity(text, before, value, unit, approximate, at_least, more_than, script):
    original = to_traditional(text) if script == "zh-Hant" else text
    q = parse_quantity(analysis_view(original), original, analysis_view(before))
    assert q is not None
    assert q.value == Decimal(value)
    assert str(q.value) == value  # normalised: no exponent, no trailing zeros
    # the unit label is taken from the original text (個 stays 個)
    expected_unit = to_traditional(unit) if script == "zh-Hant" else unit
    assert (q.unit, q.text) == (expected_unit, original)
    assert (q.approximate, q.at_least, q.more_than) == (approximate, at_least, more_than)


@pytest.mark.parametrize("text", ["abc", "", "第三季度", "若干个", "多家"])
def test_parse_quantity_rejects_non_numbers(text):
    assert parse_quantity(text, text) is None


# ---------------------------------------------------------------- stock codes

@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("600519.SH", "600519.SH"),
        ("600000.SS", "600000.SH"),  # Yahoo's Shanghai suffix
        ("SH600000", "600000.SH"),
        ("sz000001", "000001.SZ"),
        ("SZ000001", "000001.SZ"),
        ("HK00700", "00700.HK"),
        ("0700.HK", "0700.HK"),
        ("00700", "00700"),  # no exchange given: kept as written
        ("300750", "300750"),
        ("AAPL.US", "AAPL.US"),
    ],
)
def test_normalise_code(code, expected):
    assert normalise_code(code) == expected


STOCK_TEXTS = [
    # (text, [(company surface, code surface, normalised code)])
    ("腾讯控股(00700)", [("腾讯控股", "00700", "00700")]),
    ("贵州茅台（600519.SH）", [("贵州茅台", "600519.SH", "600519.SH")]),
    ("平安银行(SZ000001)", [("平安银行", "SZ000001", "000001.SZ")]),
    ("中芯国际（HK00981）", [("中芯国际", "HK00981", "00981.HK")]),
    ("小米集团（港股：01810）", [("小米集团", "01810", "01810")]),
    ("星河科技(股票代码:688999)", [("星河科技", "688999", "688999")]),
    ("中国电信(00728)、中国移动(00941)", [("中国电信", "00728", "00728"), ("中国移动", "00941", "00941")]),
]


@pytest.mark.parametrize(("text", "expected"), STOCK_TEXTS)
def test_stock_codes(text, expected):
    cands = list(patterns.stock_codes(text))
    companies = [(text[c.start : c.end], c.code) for c in cands if c.type == "COMPANY"]
    stocks = {(text[c.start : c.end], c.code) for c in cands if c.type == "STOCK"}
    assert companies == [(name, code) for name, _, code in expected]
    assert stocks == {(surface, code) for _, surface, code in expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天600519.SH大涨", [("600519.SH", "600519.SH")]),  # bare, with exchange
        ("SZ000001收涨3%", [("SZ000001", "000001.SZ")]),
        ("0700.HK走强", [("0700.HK", "0700.HK")]),
        ("营收增长600519元", []),  # a bare number is not a code
        ("截至2024年(1)", []),  # too short to be a code
        ("在2023年(12345678)", []),  # too long
    ],
)
def test_bare_stock_codes(text, expected):
    assert [(text[c.start : c.end], c.code) for c in patterns.stock_codes(text) if c.type == "STOCK"] == expected
    assert [c for c in patterns.stock_codes(text) if c.type == "COMPANY"] == []


# ---------------------------------------------------------------- dates

DATES = [
    ("2024年3月15日", ["2024年3月15日"]),
    ("2024-03-15", ["2024-03-15"]),
    ("3月15日", ["3月15日"]),
    ("3月15号", ["3月15号"]),
    ("2023年第三季度", ["2023年第三季度"]),
    ("2024年12月下旬", ["2024年12月下旬"]),
    ("2024年上半年", ["2024年上半年"]),
    ("明年上半年", ["明年上半年"]),
    ("去年底", ["去年底"]),
    ("5月底", ["5月底"]),
    ("3月份", ["3月份"]),
    ("公司于2024年3月15日发布了新品，并计划在明年上半年量产。", ["2024年3月15日", "明年上半年"]),
    ("营收增长了35%", []),
    ("上月", []),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_dates(text, expected):
    assert [m.group(0) for m in DATE_RE.finditer(text)] == expected
    assert [text[c.start : c.end] for c in patterns.dates(text)] == expected
    assert all(c.type == "DATE" for c in patterns.dates(text))


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_dates_traditional(text, expected):
    """Patterns run on the analysis view, so Traditional input matches the same spans."""
    original = to_traditional(text)
    view = analysis_view(original)
    assert [original[c.start : c.end] for c in patterns.dates(view)] == [to_traditional(e) for e in expected]


# ---------------------------------------------------------------- numbers

NUMBERS = [
    ("拥有700多个数据中心", [("700多个", "QUANTITY")]),
    ("51.3万个IDC机架", [("51.3万个", "QUANTITY")]),
    ("营收1.2万亿元", [("1.2万亿元", "MONEY")]),
    ("募资50亿美元", [("50亿美元", "MONEY")]),
    ("算力达到6.2Eflops", [("6.2Eflops", "QUANTITY")]),
    ("装机12.5GW", [("12.5GW", "QUANTITY")]),
    ("同比增长35%", [("35%", "PERCENT")]),
    ("占比百分之二十", [("百分之二十", "PERCENT")]),
    ("五百台服务器", [("五百台", "QUANTITY")]),
    ("价格上涨", []),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_numbers(text, expected):
    assert [(text[c.start : c.end], c.type) for c in patterns.numbers(text)] == expected


def test_numbers_skip_inside_a_longer_number():
    text = "1234.5万个"
    spans = [(text[c.start : c.end], c.type) for c in patterns.numbers(text)]
    assert spans == [("1234.5万个", "QUANTITY")]


# ---------------------------------------------------------------- quoted and Latin names

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("星河科技推出了大模型“天穹”。", ["天穹"]),
        ("发布了新款手机「澎湃S2」", ["澎湃S2"]),
        ("推出“能力+算力”套餐", ["能力+算力"]),
        ("他说“明年会更好”。", []),  # a quote with no product cue is not a product
    ],
)
def test_quoted_products(text, expected):
    assert [text[c.start : c.end] for c in patterns.quoted_products(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xyz公司宣布", [("Xyz", "COMPANY")]),
        ("Pika等应用", [("Pika", "PRODUCT")]),
        ("GPT-5等模型", [("GPT-5", "PRODUCT")]),
        ("手机Mate60", [("Mate60", "PRODUCT")]),
        ("模型Claude 3.5", [("Claude 3.5", "PRODUCT")]),
        ("据Reuters报道", []),  # no cue either side
    ],
)
def test_latin_names(text, expected):
    assert [(text[c.start : c.end], c.type) for c in patterns.latin_names(text)] == expected


@pytest.mark.parametrize(("text", "product"), [
    ("OpenAI将发布GPT-5。", "GPT-5"), ("Anthropic推出Claude 3.5。", "Claude 3.5"), ("Sora 2今日上线。", "Sora 2"),
    ("Sora 2024年发布。", "Sora"), ("GPT 10亿用户。", "GPT"), ("OpenAI發布了GPT-4o。", "GPT-4o"),
])
def test_a_version_after_a_lexicon_product_belongs_to_the_name(text, product):
    import kg

    record = kg.extract([text])[0]
    assert product in {e["text"] for e in record["entities"] if e["type"] == "PRODUCT"}, record["entities"]


def test_a_model_span_swallowing_an_announcing_verb_is_no_name():
    from kg.nlp.pipeline import _plausible

    assert not _plausible("阿里发布Qwen2.5") and not _plausible("腾讯表示")
    assert _plausible("Qwen2.5") and _plausible("阿里巴巴集团")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["公司", "集团", "司", "董事长", "长", "张", "明远", "有限公司", "x", ""]), max_size=30),
       st.sets(st.sampled_from(["公司", "集团", "有限公司", "董事长", "长", "张明", ""]), max_size=5),
       st.booleans())
def test_tokens_among_finds_exactly_the_tokens_in_the_vocabulary(words, vocabulary, large):
    from kg.nlp.patterns import _FIND_MAX, tokens_among

    text = "".join(words)
    ends = list(accumulate(map(len, words)))
    tokens = list(zip([0, *ends], ends))  # empty tokens too: several may start at one place
    if large:  # past the size found with str.find: looked up token by token
        vocabulary = vocabulary | {f"w{k}" for k in range(_FIND_MAX)}
    expected = [i for i, (s, e) in enumerate(tokens) if text[s:e] in vocabulary]
    assert tokens_among(text, tokens, vocabulary) == expected


_CANDIDATES = st.lists(
    st.builds(patterns.Candidate, st.integers(-2, 30), st.integers(-2, 34), st.sampled_from(["COMPANY", "PERSON", "DATE"]),
              st.sampled_from(["lexicon", "pattern", "crf", "hint"]), st.sampled_from([None, "甲"]), st.sampled_from([None, "600519.SH"])),
    max_size=25)


@settings(max_examples=300, deadline=None)
@given(_CANDIDATES)
def test_selection_takes_the_best_ranked_spans_that_overlap_nothing_taken(cands):
    from kg.nlp.pipeline import _TIER, _TYPE_RANK, _key, select

    # the definition, with a set of occupied characters
    merged = {}
    for c in sorted(cands, key=lambda c: (_TIER.get(c.source, 1), c.source != "lexicon", _key(c))):
        old = merged.get((c.start, c.end, c.type))
        merged[(c.start, c.end, c.type)] = c if old is None else old._replace(
            canonical=old.canonical or c.canonical, code=old.code or c.code)
    ranked = sorted(merged.values(), key=lambda c: (_TIER.get(c.source, 1), -(c.end - c.start), c.source != "lexicon",
                                                    _TYPE_RANK.get(c.type, 99), _key(c)))
    taken, occupied = [], set()
    for c in ranked:
        if c.end > c.start and not occupied & set(range(c.start, c.end)):
            taken.append(c)
            occupied.update(range(c.start, c.end))
    assert select(cands) == sorted(taken, key=lambda c: (c.start, c.end))


def test_stock_codes_take_tokens_as_an_array_too():
    import numpy as np

    text = "公司公告中国电信(00728)现拥有"
    tokens = [(0, 2), (2, 4), (4, 8), (8, 9), (9, 14), (14, 15), (15, 16), (16, 18)]
    listed = list(patterns.stock_codes(text, tokens))
    assert {c.type for c in listed} == {"STOCK", "COMPANY"}
    assert list(patterns.stock_codes(text, np.array(tokens))) == listed


_ANCHORED = {"MONEY_RE": patterns.MONEY_RE, "PERCENT_RE": patterns.PERCENT_RE, "QUANTITY_RE": patterns.QUANTITY_RE,
             "DATE_RE": patterns.DATE_RE, "STOCK_BARE": patterns.STOCK_BARE, "LATIN_NAME": patterns.LATIN_NAME}


@settings(max_examples=300, deadline=None)
@example(parts=["今年初，去年底，明年，前年；2024-3-15，3月15日，百分之五，两个百分点，一千万元，"
                        "5.2%，30GB，SZ000001，600519.SH，00700.HK，GPT 4，Sora"])  # every kind of start
@given(st.lists(st.sampled_from(["2024", "3", "15", "٣", "１", ".", ",", "-", "%", " ", "年", "月", "日", "号", "今", "去",
                                  "明", "前", "初", "百分之", "个百分点", "五", "一千", "两", "万", "亿", "多", "个", "家", "元",
                                  "美元", "GB", "600519", ".SH", "SZ", "HK", "000001", "GPT", "Sora", "a", "，"]), max_size=12))
def test_anchored_patterns_match_what_the_bare_patterns_match(parts):
    """Each lookahead of first characters (_anchored) admits every start its pattern can have:
    the anchored and bare patterns find the same matches (guards edits to either)."""
    import re

    text = "".join(parts)
    for name, anchored in _ANCHORED.items():
        lookahead, _, rest = anchored.pattern.partition(")(?:")
        assert lookahead.startswith("(?=") and rest.endswith(")"), name
        bare = re.compile(rest[:-1])
        assert [m.span() for m in anchored.finditer(text)] == [m.span() for m in bare.finditer(text)], name
