"""kg viz: neighbourhoods and large graphs stay usable and offline."""

from __future__ import annotations

import re

import pytest

import kg
from kg.model import Document
from kg.export.html import find_node, render_networkx, subgraph


@pytest.fixture(scope="module")
def graph():
    docs = [Document(id=f"d{i}", text=f"星河{i}号发布了产品“天穹{i}”。", hints=((f"星河{i}号", "COMPANY"),)) for i in range(30)]
    docs.append(Document(id="t", text="中國電信(00728)現擁有700多個數據中心。星河0号与中國電信签订合作协议。", hints=(("星河0号", "COMPANY"),)))
    return kg.build(docs, use_crf=False).to_networkx()


def test_find_node_by_label_alias_and_stock_code(graph):
    by_label = find_node(graph, "中國電信")
    assert by_label is not None
    assert find_node(graph, "中国电信") == by_label  # Simplified alias
    assert find_node(graph, "00728") == by_label
    assert find_node(graph, "不存在") is None


def test_focus_neighbourhood(graph):
    sub, note = subgraph(graph, focus="中國電信", hops=1)
    labels = {a["label"] for _, a in sub.nodes(data=True)}
    assert {"中國電信", "星河0号", "700多個數據中心"} <= labels
    assert "星河5号" not in labels
    assert "neighbourhood" in note


def test_large_graph_is_cut_to_the_best_connected(graph):
    sub, note = subgraph(graph, max_nodes=5)
    assert sub.number_of_nodes() == 5 and "best-connected" in note
    page = render_networkx(sub, note=note, fixed_layout=True)
    assert "best-connected" in page and '"physics": false' in page
    assert not re.search(r"<(?:script|link)\\b[^>]*\\b(?:src|href)\\s*=", page, re.I)


def test_unknown_focus_is_a_clear_error(graph):
    with pytest.raises(kg.KGError, match="no entity matches"):
        subgraph(graph, focus="nothing like this")


def test_labels_cannot_break_out_of_the_script_block():
    doc = Document(id="x", text="<script>alert(1)</script>公司发布了产品“天穹”。", hints=(("<script>alert(1)</script>公司", "COMPANY"),))
    page = render_networkx(kg.build([doc], use_crf=False).to_networkx())
    assert "<script>alert(1)" not in page and "</script>公司" not in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page  # still shown, as text


def test_page_has_search_filters_script_switch_and_rich_tooltips(graph):
    import json

    page = render_networkx(graph)
    for control in ('id="kg-search"', 'id="kg-min-confidence"', 'id="kg-script"', 'data-type="Company"', 'id="kg-details"'):
        assert control in page
    nodes = json.loads(re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page, re.S).group(1))
    telecom = next(n for n in nodes if n["label"] == "中國電信")
    assert telecom["kgType"] == "Company" and telecom["kgLabels"] == ["中國電信", "中國電信", "中国电信"]
    assert "type: Company" in telecom["title"] and "中国电信 (简体)" in telecom["title"] and "00728" in telecom["title"]
    assert "中国电信" in telecom["kgKey"].split("\n")
    edges = json.loads(re.search(r"edges = new vis\.DataSet\((\[.*?\])\);", page, re.S).group(1))
    assert all("confidence" in e["title"] and 0 < e["kgConfidence"] <= 1 for e in edges)
    charmap = json.loads(re.search(r"const KG_CHARMAP = (\{.*?\});", page).group(1))
    assert charmap["國"] == "国" and charmap["電"] == "电"  # the search box folds 中國電信 to 中国电信
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.I)


def test_subgraph_lists_nodes_in_sorted_order_so_the_seeded_layout_is_reproducible():
    import networkx as nx

    from kg.export.html import subgraph

    g = nx.MultiDiGraph()
    names = [f"https://w3id.org/kgzh/id/org/n{i:03d}" for i in range(60)]
    for name in reversed(names):
        g.add_node(name, label=name[-4:])
    for i, name in enumerate(names[1:], start=1):
        g.add_edge(names[i % 7], name, key="owns", predicate="owns")
    cut, _ = subgraph(g, max_nodes=12)
    assert list(cut.nodes) == sorted(cut.nodes) and len(cut) == 12
    near, _ = subgraph(g, focus=names[3], hops=1)
    assert list(near.nodes) == sorted(near.nodes) and names[3] in near
