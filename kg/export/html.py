"""Interactive HTML (pyvis / vis-network), fully offline: the library is inlined
and every remote ``<script src>``/``<link href>`` pyvis adds is removed.

Large graphs stay usable: above ``max_nodes`` the page shows the best-connected
entities with a layout computed in advance (physics off) and says so on the page;
``kg viz --focus`` draws the neighbourhood of one entity.
"""

from __future__ import annotations

import html
import re

import networkx as nx

from kg.errors import ConfigError
from kg.graph import KnowledgeGraph

__all__ = ["render", "render_networkx", "subgraph", "find_node", "TYPE_COLOURS", "MAX_NODES"]

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
#: Above this many nodes a page shows the best-connected ones, laid out in advance.
MAX_NODES = 400
#: Above this many nodes the layout is computed in advance and physics is off.
FIXED_LAYOUT_ABOVE = 100


def find_node(g: nx.MultiDiGraph, name: str) -> str | None:
    """The node whose IRI, label, alias or stock code is ``name`` (smallest IRI on ties)."""
    hits = sorted(
        n
        for n, a in g.nodes(data=True)
        if name == n or name == a.get("label") or name in a.get("aliases", "").split("|") or name in a.get("stockCode", "").split("|")
    )
    return hits[0] if hits else None


def subgraph(
    g: nx.MultiDiGraph, *, focus: str | None = None, hops: int = 1, max_nodes: int = MAX_NODES
) -> tuple[nx.MultiDiGraph, str]:
    """The neighbourhood of ``focus`` within ``hops`` (or the whole graph), cut to the
    ``max_nodes`` nodes of highest degree; returns it with a note on what was left out."""
    note = []
    if focus is not None:
        centre = find_node(g, focus)
        if centre is None:
            raise ConfigError(f"no entity matches {focus!r}", fix="give a label, alias, stock code or IRI from the graph")
        keep = set(nx.ego_graph(g.to_undirected(as_view=True), centre, radius=hops))
        g = g.subgraph(keep).copy()
        note.append(f"neighbourhood of {g.nodes[centre].get('label', centre)} within {hops} hop(s)")
    if g.number_of_nodes() > max_nodes:
        degree = dict(g.degree())
        top = sorted(g.nodes, key=lambda n: (-degree[n], n))[:max_nodes]
        note.append(f"showing the {max_nodes} best-connected of {g.number_of_nodes()} nodes; query the rest with kg query or kg viz --focus")
        g = g.subgraph(top).copy()
    return g, "; ".join(note)


def render(kg: KnowledgeGraph, *, height: str = "800px", max_nodes: int = MAX_NODES) -> str:
    """The whole graph, or its ``max_nodes`` best-connected nodes when it is larger."""
    g, note = subgraph(kg.to_networkx(), max_nodes=max_nodes)
    return render_networkx(g, note=note, height=height)


_LT = "\ue000"  # stands for "<" inside labels until the page is written


def _safe(text: str) -> str:
    """Labels are untrusted text from the news; pyvis puts them in a <script> block as JSON,
    where ``</script>`` would end the block. "<" travels as a sentinel and becomes ``\\u003c``."""
    return str(text).replace("<", _LT)


def render_networkx(
    g: nx.MultiDiGraph, *, note: str = "", height: str = "800px", fixed_layout: bool | None = None
) -> str:
    """The page for ``g``; above ``FIXED_LAYOUT_ABOVE`` nodes (or when asked) the layout is
    computed here and physics is off, so large pages open settled."""
    from pyvis.network import Network

    if fixed_layout is None:
        fixed_layout = g.number_of_nodes() > FIXED_LAYOUT_ABOVE

    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line", notebook=False)
    positions = nx.spring_layout(nx.Graph(g), seed=0, scale=1000) if fixed_layout and len(g) else {}
    for node, attrs in sorted(g.nodes(data=True)):
        tip = [f"{attrs.get('label', '')} ({attrs.get('type', '')})"]
        if attrs.get("aliases"):
            tip.append("aliases: " + attrs["aliases"].replace("|", ", "))
        if attrs.get("stockCode"):
            tip.append("stock code: " + attrs["stockCode"])
        extra = {}
        if node in positions:
            x, y = positions[node]
            extra = {"x": round(float(x), 1), "y": round(float(y), 1), "physics": False}
        net.add_node(
            _safe(node),
            label=_safe(attrs.get("label", node)),
            title=_safe("\n".join(tip)),
            color=TYPE_COLOURS.get(attrs.get("type", ""), "#cccccc"),
            font={"face": FONT},
            **extra,
        )
    for s, o, attrs in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2].get("predicate", ""))):
        net.add_edge(
            _safe(s), _safe(o), label=attrs["predicate"],
            title=_safe(f"{attrs['predicate']} (confidence {attrs['confidence']:.2f})\n{attrs['sentence']}"),
            arrows="to",
            font={"face": FONT, "size": 10},
        )
    if fixed_layout:
        net.toggle_physics(False)
    page = _EXTERNAL.sub("", net.generate_html(notebook=False))
    page = page.replace("\\ue000", "\\u003c").replace(_LT, "\\u003c")  # JSON-escaped or raw sentinel
    legend = "".join(
        f'<span style="background:{c};padding:2px 8px;margin:2px;border-radius:4px;display:inline-block">{html.escape(t)}</span>'
        for t, c in TYPE_COLOURS.items()
    )
    banner = f'<div id="kg-note" style="font:13px sans-serif;color:#555">{html.escape(note)}</div>' if note else ""
    return page.replace("<body>", f'<body>\n<div id="kg-legend" style="font:14px sans-serif">{legend}</div>{banner}', 1)
