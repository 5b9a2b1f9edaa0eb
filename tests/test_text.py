"""kg.text: the analysis view, sentence splitting, script detection, script conversion."""

from __future__ import annotations

import pytest

from kg.text import analysis_view, detect_script, split_sentences, to_simplified, to_traditional

# ---------------------------------------------------------------- analysis_view

ANALYSIS_VIEW = [
    # full-width ASCII -> ASCII, one character for one
    ("ＯｐｅｎＡＩ於２０２４年發佈了Ｓｏｒａ。", "OpenAI于2024年发布了Sora。"),
    ("腾讯（００７００）股价上涨！", "腾讯(00700)股价上涨!"),
    ("星河科技　拥有１．２万个基站", "星河科技 拥有1.2万个基站"),  # ideographic space -> space
    ("ＧＰＴ－４ｏ：Ａ＋Ｂ＝Ｃ", "GPT-4o:A+B=C"),
    # Traditional -> Simplified
    ("中國電信現擁有700多個數據中心。", "中国电信现拥有700多个数据中心。"),
    ("後來發佈了產品", "后来发布了产品"),
    # Simplified, Latin and punctuation that needs no mapping stays as it is
    ("百度于3月发布了文心一言。", "百度于3月发布了文心一言。"),
    ("“能力+算力”套餐", "“能力+算力”套餐"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), ANALYSIS_VIEW)
def test_analysis_view(text, expected):
    view = analysis_view(text)
    assert view == expected
    assert len(view) == len(text)


@pytest.mark.parametrize(
    "text",
    [
        "蘋果公司於９月發表新款ｉＰｈｏｎｅ，臺積電供應晶片。",
        "華爲發佈會上，雷軍與張明遠同臺演講；\n第二行\r\n第三行",
        "乾隆年間的錢莊與現代銀行",
        "歷史上的今天：微軟發佈Ｗｉｎｄｏｗｓ　９５",
    ],
)
def test_analysis_view_keeps_every_offset(text):
    view = analysis_view(text)
    assert len(view) == len(text)
    # line structure and ASCII are untouched, character by character
    for a, b in zip(text, view):
        if a.isascii():
            assert a == b
        if a in "\r\n":
            assert b == a


# ---------------------------------------------------------------- split_sentences

SPLIT = [
    ("百度发布了文心一言。腾讯拥有3000多家门店。", ["百度发布了文心一言。", "腾讯拥有3000多家门店。"]),
    # the closing quote stays with its sentence
    ("雷军说：“我们明年将推出新品。”随后离场。", ["雷军说：“我们明年将推出新品。”", "随后离场。"]),
    ("「新品將於明年發佈！」他說。", ["「新品將於明年發佈！」", "他說。"]),
    ("“芯片需求会持续增长吗？”分析师问道。", ["“芯片需求会持续增长吗？”", "分析师问道。"]),
    # line breaks end a sentence; blank lines and indentation are trimmed away
    ("第一段没有句号\n\n   第二段。  \n第三段", ["第一段没有句号", "第二段。", "第三段"]),
    ("标题\r\n正文第一句。正文第二句", ["标题", "正文第一句。", "正文第二句"]),
    # runs of terminators, ellipses, semicolons, ASCII punctuation
    ("真的吗？！是的……好吧...结束", ["真的吗？！", "是的……", "好吧...", "结束"]),
    ("A股上涨;港股下跌；美股持平!", ["A股上涨;", "港股下跌；", "美股持平!"]),
    # commas and enumeration commas do not split
    ("星河科技拥有2000多名员工、30个研发中心，5座工厂。", ["星河科技拥有2000多名员工、30个研发中心，5座工厂。"]),
    # decimals are not sentence ends
    ("6.2Eflops算力。", ["6.2Eflops算力。"]),
    ("", []),
    ("  \n\n ", []),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT)
def test_split_sentences(text, expected):
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == expected
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
    # in order and not overlapping
    assert all(a.end <= b.start for a, b in zip(sentences, sentences[1:]))


@pytest.mark.parametrize(("text", "expected"), SPLIT)
def test_split_sentences_traditional(text, expected):
    """Same boundaries in Traditional script (conversion is character-aligned)."""
    traditional = to_traditional(text)
    sentences = split_sentences(traditional)
    assert [s.text for s in sentences] == [to_traditional(e) for e in expected]
    assert all(traditional[s.start : s.end] == s.text for s in sentences)


# ---------------------------------------------------------------- detect_script

DETECT = [
    ("中國電信現擁有700多個數據中心。", "zh-Hant"),
    ("台灣的半導體產業發展迅速", "zh-Hant"),
    ("蘋果公司發佈了Vision Pro", "zh-Hant"),
    ("中国电信现拥有700多个数据中心。", "zh-Hans"),
    ("苹果公司发布了Vision Pro", "zh-Hans"),
    ("中国", "zh-Hans"),
    ("OpenAI released Sora today.", "und"),
    ("ＯｐｅｎＡＩ　２０２４", "und"),
    ("600519.SH 12345", "und"),
    ("", "und"),
]


@pytest.mark.parametrize(("text", "expected"), DETECT)
def test_detect_script(text, expected):
    assert detect_script(text) == expected


def test_detect_script_majority_wins():
    # mostly Traditional with a Simplified name quoted inside
    assert detect_script("據報道，蘋果公司與“华为”在數據中心業務上競爭激烈。") == "zh-Hant"
    assert detect_script("据报道，苹果公司与“華為”在数据中心业务上竞争激烈。") == "zh-Hans"


# ---------------------------------------------------------------- conversion

@pytest.mark.parametrize(
    "text",
    [
        "中信证券认为，明年芯片需求将持续增长。",
        "小米集团创始人、董事长雷军表示，公司将加大研发投入。",
        "星河科技目前运营着七百个数据中心和2.5万个机架。",
        "腾讯控股(00700)今日股价上涨。",
        "后来发布了产品",
    ],
)
def test_conversion_is_character_aligned(text):
    traditional = to_traditional(text)
    assert len(traditional) == len(text)
    assert to_simplified(traditional) == text
    assert analysis_view(traditional) == analysis_view(text)
    assert detect_script(traditional) == "zh-Hant"
