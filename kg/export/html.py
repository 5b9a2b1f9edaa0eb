"""Interactive HTML (pyvis / vis-network), fully offline: the library is inlined
and every remote ``<script src>``/``<link href>`` pyvis adds is removed."""

from __future__ import annotations

import html
import re

from kg.graph import KnowledgeGraph

__all__ = ["render", "TYPE_COLOURS"]

TYPE_COLOURS = {
    "Company": "#4e79a7",
    "Organization": "#76b7b2",
    "GovernmentBody": "#59a14f",
    "Person": "#e15759",
    "Product": "#f28e2b",
    "Place": "#edc948",
    "Concept": "#b07aa1",
    "Facility": "#9c755f",
    "Quantity": "#bab0ac",
    "Stock": "#ff9da7",
}
FONT = "Noto Sans CJK SC, Noto Sans CJK TC, PingFang SC, Microsoft YaHei, sans-serif"
_EXTERNAL = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="[^"]*"[^>]*>(?:\s*</script>)?', re.I)


def render(kg: KnowledgeGraph, *, height: str = "800px") -> str:
    from pyvis.network import Network

    g = kg.to_networkx()
    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line", notebook=False)
    for node, attrs in g.nodes(data=True):
        tip = [f"{attrs.get('label', '')} ({attrs.get('type', '')})"]
        if attrs.get("aliases"):
            tip.append("aliases: " + attrs["aliases"].replace("|", ", "))
        if attrs.get("stockCode"):
            tip.append("stock code: " + attrs["stockCode"])
        net.add_node(
            node,
            label=attrs.get("label", node),
            title="\n".join(tip),
            color=TYPE_COLOURS.get(attrs.get("type", ""), "#cccccc"),
            font={"face": FONT},
        )
    for s, o, attrs in g.edges(data=True):
        net.add_edge(
            s, o, label=attrs["predicate"],
            title=f"{attrs['predicate']} (confidence {attrs['confidence']:.2f})\n{attrs['sentence']}",
            arrows="to",
            font={"face": FONT, "size": 10},
        )
    page = net.generate_html(notebook=False)
    page = _EXTERNAL.sub("", page)
    legend = "".join(
        f'<span style="background:{c};padding:2px 8px;margin:2px;border-radius:4px;display:inline-block">{html.escape(t)}</span>'
        for t, c in TYPE_COLOURS.items()
    )
    return page.replace("<body>", f'<body>\n<div id="kg-legend" style="font:14px sans-serif">{legend}</div>', 1)
