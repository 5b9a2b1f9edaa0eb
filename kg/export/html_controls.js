// kg viz / graph.html controls, inlined by kg/export/html.py after pyvis's script (which
// defines the globals `network`, `nodes` and `edges`). KG_CHARMAP (Traditional -> Simplified
// for the characters on this page) is defined just before this file. Text from the graph is
// put into the page with textContent only.
(function () {
  "use strict";
  if (typeof network === "undefined" || typeof nodes === "undefined") return;
  const allNodes = nodes.get();
  const allEdges = edges.get();
  const byId = new Map(allNodes.map((n) => [n.id, n]));
  const typeBoxes = Array.from(document.querySelectorAll("#kg-legend input[data-type]"));
  const minConf = document.getElementById("kg-min-confidence");
  const minConfOut = document.getElementById("kg-min-confidence-value");
  const scriptSel = document.getElementById("kg-script");
  const search = document.getElementById("kg-search");
  const searchOut = document.getElementById("kg-search-result");
  const details = document.getElementById("kg-details");

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function shownLabel(n) {
    return n.kgLabels[Number(scriptSel.value) || 0];
  }

  // ---- filters: entity types and minimum confidence
  function applyFilters() {
    const types = new Set(typeBoxes.filter((b) => b.checked).map((b) => b.dataset.type));
    const min = Number(minConf.value);
    minConfOut.textContent = min.toFixed(2);
    const typeOk = (id) => types.has(byId.get(id).kgType);
    const edgeOk = (e) => e.kgConfidence >= min && typeOk(e.from) && typeOk(e.to);
    const withFacts = new Set();
    for (const e of allEdges) if (edgeOk(e)) { withFacts.add(e.from); withFacts.add(e.to); }
    nodes.update(allNodes.map((n) => ({ id: n.id, hidden: !typeOk(n.id) || (min > 0 && !withFacts.has(n.id)) })));
    edges.update(allEdges.map((e) => ({ id: e.id, hidden: !edgeOk(e) })));
  }
  typeBoxes.forEach((b) => b.addEventListener("change", applyFilters));
  minConf.addEventListener("input", applyFilters);

  // ---- Traditional / Simplified labels
  scriptSel.addEventListener("change", () => {
    nodes.update(allNodes.map((n) => ({ id: n.id, label: shownLabel(n) })));
  });

  // ---- search: either script, labels, aliases and stock codes
  function fold(text) {
    return Array.from(text.trim()).map((c) => KG_CHARMAP[c] || c).join("").toLowerCase();
  }
  let hits = [];
  let hitAt = 0;
  function runSearch() {
    const q = fold(search.value);
    hits = q ? allNodes.filter((n) => n.kgKey.split("\n").some((k) => k.includes(q))) : [];
    hits.sort((a, b) => (a.kgKey.split("\n").includes(q) ? 0 : 1) - (b.kgKey.split("\n").includes(q) ? 0 : 1) || a.label.length - b.label.length);
    hitAt = 0;
    showHit();
  }
  function showHit() {
    if (!search.value.trim()) { searchOut.textContent = ""; return; }
    if (!hits.length) { searchOut.textContent = "no match"; return; }
    const n = hits[hitAt];
    searchOut.textContent = shownLabel(n) + (hits.length > 1 ? " (" + (hitAt + 1) + "/" + hits.length + ", Enter: next)" : "");
    if (nodes.get(n.id).hidden) { searchOut.textContent += " - hidden by the filters"; return; }
    network.selectNodes([n.id]);
    network.focus(n.id, { scale: Math.max(network.getScale(), 1), animation: false });
    showNode(n.id);
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && hits.length) { hitAt = (hitAt + 1) % hits.length; showHit(); ev.preventDefault(); }
  });

  // ---- details: a node's labels and facts with their evidence, or one fact
  function factItem(e) {
    const li = el("li");
    const from = byId.get(e.from), to = byId.get(e.to);
    li.append(el("b", shownLabel(from)), document.createTextNode(" " + e.kgPredicate + " "), el("b", shownLabel(to)),
      el("span", " confidence " + e.kgConfidence.toFixed(2), "kg-conf"));
    if (e.kgSentence) li.append(el("blockquote", e.kgSentence, "kg-evidence"));
    if (e.kgEvidence > 1) li.append(el("small", "+" + (e.kgEvidence - 1) + " more sentence(s): kg query for all"));
    return li;
  }
  function showNode(id) {
    const n = byId.get(id);
    details.replaceChildren();
    details.append(el("h3", shownLabel(n)), el("p", n.kgType || "other", "kg-type"));
    const scripts = n.kgLabels[1] !== n.kgLabels[2] ? [["繁體", n.kgLabels[1]], ["简体", n.kgLabels[2]]] : [];
    const facts = scripts.concat([["aliases", n.kgAliases.join(", ")], ["stock code", n.kgCodes.join(", ")]]);
    const dl = el("dl");
    for (const [k, v] of facts) if (v) dl.append(el("dt", k), el("dd", v));
    details.append(dl);
    const list = el("ul", null, "kg-facts");
    for (const e of allEdges) if ((e.from === id || e.to === id) && !edges.get(e.id).hidden) list.append(factItem(e));
    details.append(el("h4", list.children.length ? "Facts and evidence" : "No facts shown"), list);
  }
  function showEdge(id) {
    const e = allEdges.find((x) => x.id === id);
    if (!e) return;
    details.replaceChildren();
    const list = el("ul", null, "kg-facts");
    list.append(factItem(e));
    details.append(el("h3", e.kgPredicate), list);
  }
  network.on("click", (params) => {
    if (params.nodes.length) showNode(params.nodes[0]);
    else if (params.edges.length) showEdge(params.edges[0]);
  });
  // small graphs settle once and then stay put (large ones come laid out, physics off)
  network.once("stabilizationIterationsDone", () => network.setOptions({ physics: false }));
  document.body.dataset.kgReady = "true";
})();
