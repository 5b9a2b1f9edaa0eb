"""Reading inputs: encodings, HTML, skipped files, malformed JSONL, --strict (issue 8, input half)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import InputError, KGError
from kg.sources import ReadStats, decode_bytes, read_documents

SIMPLIFIED = [
    "腾讯控股今日公布第一季度业绩，收入同比增长百分之十二。",
    "小米集团于3月28日发布了SU7汽车。雷军表示,小米汽车将在未来三年内进入全球前五。",
    "阿里巴巴集团宣布，将分拆云智能业务独立上市。",
    "央行宣布下调存款准备金率0.5个百分点。",
    "宁德时代(300750.SZ)股价上涨5%。",
    "OpenAI于2月16日发布了文生视频模型Sora。",
]
TRADITIONAL = [
    "中國電信現擁有700多個數據中心。",
    "台積電今日宣布在高雄興建新廠，預計明年量產。",
    "鴻海董事長劉揚偉表示，電動車業務將成為集團成長動能。",
    "騰訊控股(00700)今日公佈業績。",
    "聯發科發布新一代旗艦晶片，效能提升三成。",
    "國泰航空公佈上半年業績",
]

ENCODED = (
    [pytest.param(t, "gb18030", "gb18030", id=f"gb18030-{i}") for i, t in enumerate(SIMPLIFIED)]
    + [pytest.param(t, "gb18030", "gb18030", id=f"gb18030-trad-{i}") for i, t in enumerate(TRADITIONAL[:3])]
    + [pytest.param(t, "big5", "big5", id=f"big5-{i}") for i, t in enumerate(TRADITIONAL)]
    + [pytest.param(t, "utf-16", "utf_16", id=f"utf16le-bom-{i}") for i, t in enumerate([SIMPLIFIED[0], TRADITIONAL[0]])]
    + [pytest.param(t, "utf-16-be-bom", "utf_16", id=f"utf16be-bom-{i}") for i, t in enumerate([SIMPLIFIED[1], TRADITIONAL[3]])]
    + [pytest.param(SIMPLIFIED[2], "utf-32", "utf_32", id="utf32-bom")]
    + [pytest.param(t, "utf-8-sig", "utf_8", id=f"utf8-sig-{i}") for i, t in enumerate([SIMPLIFIED[3], TRADITIONAL[1]])]
    + [pytest.param(TRADITIONAL[2], "utf-8", "utf_8", id="utf8")]
)


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    data = text.encode(encoding)
    if encoding == "utf-16":  # Python writes the platform's order; make it LE with BOM explicitly
        data = b"\xff\xfe" + text.encode("utf-16-le")
    return data


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "kg.sources" and r.levelno == logging.WARNING]


# ------------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(("text", "encoding", "reported"), ENCODED)
def test_encodings_are_detected(text, encoding, reported, tmp_path, caplog):
    path = tmp_path / "news.txt"
    path.write_bytes(_encode(text, encoding))
    stats = ReadStats()
    with caplog.at_level(logging.INFO, logger="kg.sources"):
        docs = list(read_documents([path], stats=stats))
    assert [d.text for d in docs] == [text]
    infos = [r.getMessage() for r in caplog.records if r.name == "kg.sources" and r.levelno == logging.INFO]
    if reported == "utf_8":
        assert stats.encodings == {} and infos == []
    else:
        assert stats.encodings == {str(path): reported}
        assert infos == [f"read {path} as {reported}"]
    assert not _warnings(caplog)


def test_crlf_is_folded_after_decoding(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("第一行\r\n第二行".encode("gb18030"))
    assert next(read_documents([path])).text == "第一行\n第二行"


def test_damaged_utf8_stays_utf8(tmp_path, caplog):
    """One stray byte must not make the whole file look like GB18030."""
    path = tmp_path / "a.txt"
    path.write_bytes("小米集团发布了SU7汽车。".encode() + b"\xff" + "雷军表示，小米汽车将进入全球前五。".encode())
    stats = ReadStats()
    doc = next(read_documents([path], stats=stats))
    assert doc.text == "小米集团发布了SU7汽车。\ufffd雷军表示，小米汽车将进入全球前五。"
    assert stats.repaired == {str(path): 1} and stats.encodings == {}
    assert len(_warnings(caplog)) == 1 and str(path) in _warnings(caplog)[0]
    with pytest.raises(InputError) as err:
        list(read_documents([path], strict=True))
    assert err.value.where == str(path)


def test_utf8_cut_in_the_middle_of_a_character(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_bytes("中國電信現擁有700多個數據中心".encode()[:-2])
    doc = next(read_documents([path]))
    assert doc.text == "中國電信現擁有700多個數據中\ufffd"


def test_undecodable_bytes(tmp_path, caplog):
    (tmp_path / "ok.txt").write_text("騰訊控股今日公佈業績。", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"abc \xff\xff\xff def")
    stats = ReadStats()
    docs = list(read_documents([tmp_path], stats=stats))
    assert [d.id for d in docs] == ["ok"]
    assert stats.skipped == [(str(tmp_path / "bad.txt"), stats.skipped[0][1])]
    assert "no Chinese encoding" in stats.skipped[0][1]
    assert len(_warnings(caplog)) == 1 and "bad.txt" in _warnings(caplog)[0]


def test_decode_bytes_raises_kg_errors_only():
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"GIF89a\x00\x01\x02")
    with pytest.raises(InputError, match="no Chinese encoding"):
        decode_bytes(b"\xff\xff\xff\xff")
    assert decode_bytes("騰訊".encode("big5")) == ("騰訊", "big5", 0)


# ------------------------------------------------------------------------------------ HTML

PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="{charset}">
<title>小米发布SU7汽车 - 财经新闻网</title>
<meta property="article:published_time" content="2024-03-28T10:00:00+08:00"></head><body>
<nav><ul><li><a href="/">首页</a></li><li><a href="/finance">财经</a></li><li><a href="/login">登录</a></li></ul></nav>
<div class="ad">广告：点击领取优惠券</div>
<article><h1>小米发布SU7汽车</h1>
<p>小米集团于3月28日发布了SU7汽车。雷军表示，小米汽车将在未来三年内进入全球前五。</p>
<p>分析人士认为，这款车的定价将对特斯拉Model 3构成直接竞争。小米集团股价当日上涨5%。</p>
</article>
<aside><h3>热门文章</h3><ul><li><a href="/a1">比亚迪销量创新高</a></li><li><a href="/a2">华为发布新手机</a></li></ul></aside>
<footer>版权所有 © 2024 财经新闻网 京ICP备12345678号 联系我们</footer></body></html>"""


@pytest.mark.parametrize(("suffix", "charset"), [(".html", "utf-8"), (".htm", "gbk")])
def test_html_article_text_title_and_date(suffix, charset, tmp_path):
    path = tmp_path / f"xiaomi{suffix}"
    path.write_bytes(PAGE.format(charset=charset).encode("utf-8" if charset == "utf-8" else "gb18030"))
    stats = ReadStats()
    (doc,) = read_documents([path], stats=stats)
    assert doc.id == "xiaomi" and doc.source == str(path)
    assert "小米集团于3月28日发布了SU7汽车。" in doc.text
    assert "小米集团股价当日上涨5%。" in doc.text
    for boilerplate in ("首页", "登录", "广告", "热门文章", "比亚迪", "版权所有"):
        assert boilerplate not in doc.text, boilerplate
    assert doc.title == "小米发布SU7汽车"
    assert doc.date == "2024-03-28"
    assert stats.encodings == ({} if charset == "utf-8" else {str(path): "gb18030"})


def test_html_offsets_refer_to_the_extracted_text(tmp_path):
    import kg

    path = tmp_path / "a.html"
    path.write_text(PAGE.format(charset="utf-8"), encoding="utf-8")
    (doc,) = read_documents([path])
    (record,) = kg.extract([doc], use_crf=False)
    assert record["entities"]
    for e in record["entities"]:
        assert doc.text[e["start"] : e["end"]] == e["text"]


def test_html_without_article_text_is_an_empty_document(tmp_path, caplog):
    (tmp_path / "blank.html").write_text("<html><body></body></html>", encoding="utf-8")
    (tmp_path / "zero.htm").write_text("", encoding="utf-8")
    stats = ReadStats()
    docs = list(read_documents([tmp_path], stats=stats))
    assert [(d.id, d.text) for d in docs] == [("blank", ""), ("zero", "")]
    assert stats.empty == 2 and stats.problems == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # no library noise either


# ------------------------------------------------------------------------------------ files and directories


def test_binary_and_unsupported_files_in_a_directory_are_skipped(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("騰訊控股今日公佈業績。", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "c.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "d.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.txt").write_text("ref", encoding="utf-8")
    stats = ReadStats()
    docs = list(read_documents([tmp_path], stats=stats))
    assert [d.id for d in docs] == ["a"]
    assert sorted(where for where, _ in stats.skipped) == sorted(str(tmp_path / n) for n in ("b.txt", "c.png", "d.csv"))
    warnings = _warnings(caplog)
    assert len(warnings) == 2, warnings  # one line for the binary file, one for the unsupported ones
    assert any("b.txt" in w and "binary" in w for w in warnings)
    assert any("c.png" in w and "d.csv" in w for w in warnings)
    assert all("\n" not in w for w in warnings)
    assert stats.summary() == "read 1 file (1 document); skipped 3 files"


@pytest.mark.parametrize("name", ["b.txt", "c.png"])
def test_strict_makes_skipped_files_fatal(name, tmp_path):
    (tmp_path / "a.txt").write_text("騰訊控股今日公佈業績。", encoding="utf-8")
    (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError) as err:
        list(read_documents([tmp_path], strict=True))
    assert err.value.where == str(tmp_path / name)
    assert "\n" not in str(err.value)


def test_explicit_unsupported_file_is_an_error(tmp_path):
    path = tmp_path / "graph.ttl"
    path.write_text("@prefix kg: <x#> .", encoding="utf-8")
    for strict in (False, True):
        with pytest.raises(InputError, match=r"unsupported file type \.ttl"):
            list(read_documents([path], strict=strict))


def test_explicit_binary_file_is_skipped_but_nothing_left_is_an_error(tmp_path, caplog):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("小米集团发布了SU7汽车。", encoding="utf-8")
    bad.write_bytes(b"\x00\x01\x02\x03")
    assert [d.id for d in read_documents([good, bad])] == ["good"]
    with pytest.raises(InputError) as err:
        list(read_documents([bad]))
    assert "nothing to read" in err.value.what and err.value.where == str(bad)


def test_missing_input_and_directory_without_text(tmp_path):
    with pytest.raises(InputError, match="not found"):
        list(read_documents([tmp_path / "nope.txt"]))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.csv").write_text("a,b", encoding="utf-8")
    with pytest.raises(InputError, match=r"no \.txt, \.md or \.jsonl .*x\.csv"):
        list(read_documents([tmp_path / "d"]))


def test_unreadable_file_is_an_input_error_never_a_permission_error(tmp_path, monkeypatch):
    good, locked = tmp_path / "a.txt", tmp_path / "b.txt"
    good.write_text("騰訊控股今日公佈業績。", encoding="utf-8")
    locked.write_text("小米集团发布了SU7汽车。", encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "b.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    stats = ReadStats()
    assert [d.id for d in read_documents([tmp_path], stats=stats)] == ["a"]
    assert stats.skipped == [(str(locked), "cannot read file: permission denied")]
    with pytest.raises(InputError) as err:
        list(read_documents([locked], strict=True))
    assert err.value.where == str(locked) and "permission denied" in err.value.what
    with pytest.raises(InputError, match="nothing to read"):
        list(read_documents([locked]))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_for_real(tmp_path):
    locked = tmp_path / "locked.txt"
    locked.write_text("小米集团发布了SU7汽车。", encoding="utf-8")
    locked.chmod(0)
    try:
        with pytest.raises(InputError) as err:
            list(read_documents([locked], strict=True))
        assert err.value.where == str(locked)
    finally:
        locked.chmod(0o600)


def test_empty_documents_are_yielded_and_counted(tmp_path):
    (tmp_path / "a.txt").write_text("", encoding="utf-8")
    (tmp_path / "b.md").write_text("  \n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "c1", "text": ""}\n{"id": "c2", "text": "好"}\n', encoding="utf-8")
    stats = ReadStats()
    docs = list(read_documents([tmp_path], stats=stats))
    assert [d.id for d in docs] == ["a", "b", "c1", "c2"]
    assert (stats.files, stats.documents, stats.empty, stats.problems) == (3, 4, 3, 0)


def test_stdin_is_decoded_like_a_file(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("騰訊控股今日公佈業績。".encode("big5"))))
    stats = ReadStats()
    (doc,) = read_documents(["-"], stats=stats)
    assert (doc.id, doc.text, doc.source) == ("stdin", "騰訊控股今日公佈業績。", "-")
    assert stats.encodings == {"-": "big5"}


# ------------------------------------------------------------------------------------ JSONL

RECORDS = [
    '{"id": "a1", "text": "小米集团发布了SU7汽车。", "date": "2024-03-28T09:00:00"}',
    "not json at all",
    '["a list", "not an object"]',
    '{"id": "a4", "title": "no text"}',
    '{"id": "a5", "text": "騰訊控股今日公佈業績。", "entities": "騰訊"}',
    '{"id": "a6", "text": "中國電信現擁有700多個數據中心。", "entities": [{"text": "中國電信", "type": "company"}]}',
    '{"id": "a7", "text": "华为发布了新款手机',  # the half-written last line
]


def test_jsonl_malformed_lines_are_skipped_with_file_and_line(tmp_path, caplog):
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(RECORDS), encoding="utf-8")  # no final newline: the writer was cut off
    stats = ReadStats()
    docs = list(read_documents([path], stats=stats))
    assert [d.id for d in docs] == ["a1", "a6"]
    assert docs[0].date == "2024-03-28" and docs[0].source == f"{path}:1"
    assert docs[1].hints == (("中國電信", "COMPANY"),)
    assert [where for where, _ in stats.malformed] == [f"{path}:{n}" for n in (2, 3, 4, 5, 7)]
    warnings = _warnings(caplog)
    assert len(warnings) == 5 and all(f"{path}:" in w for w in warnings)
    assert "cut off" in warnings[-1] and f"{path}:7" in warnings[-1]
    assert stats.summary() == "read 1 file (2 documents); 5 malformed lines"


@pytest.mark.parametrize(("line", "number"), [(1, 2), (6, 7)])
def test_jsonl_strict_raises_at_the_first_bad_line(line, number, tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join([RECORDS[0], RECORDS[line]]), encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(read_documents([path], strict=True))
    assert err.value.where == f"{path}:2"
    assert isinstance(err.value, KGError) and "\n" not in str(err.value)


def test_jsonl_truncated_last_line_alone(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text(json.dumps({"id": "x", "text": "小米集团发布了SU7汽车。"}, ensure_ascii=False) + "\n" + RECORDS[-1])
    stats = ReadStats()
    assert [d.id for d in read_documents([path], stats=stats)] == ["x"]
    assert stats.malformed[0][0] == f"{path}:2" and "cut off" in stats.malformed[0][1]


def test_jsonl_with_nothing_valid_is_an_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(read_documents([path]))
    assert "nothing to read" in err.value.what and err.value.where == f"{path}:1"


def test_jsonl_in_gb18030(tmp_path):
    path = tmp_path / "gb.jsonl"
    lines = [json.dumps({"id": f"g{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(SIMPLIFIED[:3])]
    path.write_bytes("\n".join(lines).encode("gb18030"))
    stats = ReadStats()
    assert [d.text for d in read_documents([path], stats=stats)] == SIMPLIFIED[:3]
    assert stats.encodings == {str(path): "gb18030"}


# ------------------------------------------------------------------------------------ command line


def _kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_skips_a_binary_file_with_one_warning_and_strict_stops(tmp_path):
    (tmp_path / "a.txt").write_bytes("小米集团于3月28日发布了SU7汽车。".encode("gb18030"))
    (tmp_path / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    proc = _kg("extract", str(tmp_path), "--no-model")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ["a"]
    mentions = [line for line in proc.stderr.splitlines() if "b.txt" in line]
    assert len(mentions) == 1 and mentions[0].startswith("skipping ") and "binary" in mentions[0]
    assert f"read {tmp_path / 'a.txt'} as gb18030" in proc.stderr
    assert "Traceback" not in proc.stderr

    proc = _kg("extract", str(tmp_path), "--no-model", "--strict")
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("kg: error:")]
    assert len(errors) == 1 and str(tmp_path / "b.txt") in errors[0] and "binary" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_utf8_jsonl_file_is_streamed_with_the_records_and_repairs_of_a_whole_read(tmp_path, monkeypatch):
    """Large JSONL files are read line by line (never whole); BOM, CRLF, damaged bytes and a
    cut-off last line come out as when the file is decoded in one piece."""
    from kg import sources

    body = ("\ufeff" + RECORDS[0] + "\r\n" + RECORDS[4] + "\n\n").encode("utf-8")
    body += b'{"id": "bad", "text": "\xe4\xb8\xad\xff\xe5\x9b\xbd"}\n' + RECORDS[6].encode("utf-8")
    path = tmp_path / "news.jsonl"
    path.write_bytes(body)
    whole_stats, streamed_stats = ReadStats(), ReadStats()
    monkeypatch.setattr(sources, "_plain_utf8", lambda p: False)
    whole = list(read_documents([path], stats=whole_stats))
    monkeypatch.undo()

    def no_whole_read(self):
        raise AssertionError(f"{self} was read whole")

    monkeypatch.setattr(Path, "read_bytes", no_whole_read)
    streamed = list(read_documents([path], stats=streamed_stats))
    assert [d.id for d in streamed] == ["a1", "bad"] == [d.id for d in whole]
    assert streamed == whole and streamed[1].text == "中\ufffd国"
    assert streamed_stats.repaired == whole_stats.repaired == {str(path): 1}
    assert streamed_stats.malformed == whole_stats.malformed and "cut off" in streamed_stats.malformed[-1][1]
    assert streamed_stats.summary() == whole_stats.summary()


@pytest.mark.parametrize("head", [b"\xff\xfe", b"\x00\x00", "中文".encode("gb18030")])
def test_jsonl_that_is_not_plain_utf8_is_read_whole_and_its_encoding_detected(head, tmp_path):
    from kg.sources import _plain_utf8

    path = tmp_path / "x.jsonl"
    path.write_bytes(head + b"\n")
    assert not _plain_utf8(path)
    data = ("中文" * 10).encode("utf-8") + "中".encode("utf-8")[:2]  # cut at the end of the sniffed block
    path.write_bytes(data)
    assert _plain_utf8(path, sniff=len(data))
