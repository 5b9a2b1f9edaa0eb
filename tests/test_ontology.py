"""The ontology files agree with ``kg.namespaces.KG`` and with each other.

* ``ontology/kg.ttl`` declares every ``KG`` term, and nothing else in the kg
  namespace, with labels in zh-Hant, zh-Hans and en;
* ``ontology/shapes.ttl`` accepts a graph of the shape the builder emits and
  rejects broken ones;
* ``ontology/context.jsonld`` maps every ``KG`` term, consistently with kg.ttl.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from kg.namespaces import KG, KG_IRI, KGR, PREFIXES
from kg.resources import ontology_dir

TERMS: list[str] = list(KG.__annotations__)
DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}
LABEL_LANGUAGES = ("zh-Hant", "zh-Hans", "en")
# A plain Namespace: pytest's collection probes module attributes, and rdflib's
# XSD DefinedNamespace warns on every unknown one.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")


@pytest.fixture(scope="module")
def ontology_path() -> Path:
    return Path(ontology_dir())


@pytest.fixture(scope="module")
def ontology(ontology_path: Path) -> Graph:
    return Graph().parse(ontology_path / "kg.ttl", format="turtle")


@pytest.fixture(scope="module")
def shapes(ontology_path: Path) -> Graph:
    return Graph().parse(ontology_path / "shapes.ttl", format="turtle")


@pytest.fixture(scope="module")
def context(ontology_path: Path) -> dict:
    with open(ontology_path / "context.jsonld", encoding="utf-8") as f:
        doc = json.load(f)
    assert isinstance(doc, dict) and isinstance(doc.get("@context"), dict)
    return doc["@context"]


def _declared_types(g: Graph, term: URIRef) -> set[URIRef]:
    return {t for t in g.objects(term, RDF.type) if t in DECLARATION_TYPES}


# --------------------------------------------------------------------------
# kg.ttl
# --------------------------------------------------------------------------


def test_terms_are_unique() -> None:
    assert len(TERMS) == len(set(TERMS))
    assert len(TERMS) > 0


def test_ontology_header(ontology: Graph) -> None:
    onto = URIRef(KG_IRI.rstrip("#"))
    assert (onto, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(onto, OWL.versionInfo) is not None
    assert ontology.value(onto, DCTERMS.title) is not None
    assert ontology.value(onto, DCTERMS.description) is not None


@pytest.mark.parametrize("name", TERMS)
def test_term_declared_once_with_labels(ontology: Graph, name: str) -> None:
    term = KG[name]
    types = _declared_types(ontology, term)
    assert len(types) == 1, f"kg:{name} declared as {sorted(types)}"

    languages = Counter(
        label.language for label in ontology.objects(term, RDFS.label) if isinstance(label, Literal)
    )
    for lang in LABEL_LANGUAGES:
        assert languages[lang] == 1, f"kg:{name} needs exactly one rdfs:label @{lang}"

    comments = [c for c in ontology.objects(term, RDFS.comment) if isinstance(c, Literal)]
    assert any(c.language == "en" for c in comments), f"kg:{name} has no rdfs:comment @en"


def test_no_undeclared_kg_terms(ontology: Graph) -> None:
    """kg.ttl declares nothing in the kg namespace that KG does not list."""
    expected = {KG[name] for name in TERMS}
    declared = {
        s
        for s, t in ontology.subject_objects(RDF.type)
        if t in DECLARATION_TYPES and isinstance(s, URIRef) and str(s).startswith(KG_IRI)
    }
    assert declared == expected
    # nor refers to one anywhere (a typo in a domain or range, say)
    used = {
        node
        for triple in ontology
        for node in triple
        if isinstance(node, URIRef) and str(node).startswith(KG_IRI)
    }
    assert used <= expected, sorted(used - expected)


def test_entity_classes_are_entities(ontology: Graph) -> None:
    entity_classes = {
        "Organization", "Company", "GovernmentBody", "Person", "Product", "Stock",
        "Place", "Position", "Concept", "Facility", "Event",
    }
    for name in entity_classes:
        supers = set(ontology.transitive_objects(KG[name], RDFS.subClassOf))
        assert KG.Entity in supers, f"kg:{name} is not a subclass of kg:Entity"


def test_properties_have_consistent_kinds(ontology: Graph) -> None:
    """Object properties range over classes, datatype properties over datatypes."""
    for name in TERMS:
        term = KG[name]
        (kind,) = _declared_types(ontology, term)
        rng = ontology.value(term, RDFS.range)
        if kind == OWL.DatatypeProperty and rng is not None:
            assert str(rng).startswith(str(XSD)), f"kg:{name} range {rng}"
        if kind == OWL.ObjectProperty and rng is not None:
            assert not str(rng).startswith(str(XSD)), f"kg:{name} range {rng}"


# --------------------------------------------------------------------------
# shapes.ttl
# --------------------------------------------------------------------------


def _conforming_graph() -> Graph:
    """A small graph following the pattern the builder emits."""
    g = Graph()
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri)

    company = KGR["company/tencent"]
    product = KGR["product/hunyuan"]
    person = KGR["person/ma-huateng"]
    facility = KGR["concept/data-center"]
    g.add((company, RDF.type, KG.Company))
    g.add((company, RDFS.label, Literal("騰訊", lang="zh-Hant")))
    g.add((company, RDFS.label, Literal("腾讯", lang="zh-Hans")))
    g.add((company, RDFS.label, Literal("Tencent")))
    g.add((company, SKOS.prefLabel, Literal("騰訊", lang="zh-Hant")))
    g.add((company, SKOS.altLabel, Literal("騰訊控股", lang="zh-Hant")))
    g.add((company, KG.hasStockCode, Literal("0700.HK")))
    g.add((product, RDF.type, KG.Product))
    g.add((product, RDFS.label, Literal("混元", lang="zh-Hant")))
    g.add((person, RDF.type, KG.Person))
    g.add((person, RDFS.label, Literal("馬化騰", lang="zh-Hant")))
    g.add((facility, RDF.type, KG.Facility))
    g.add((facility, RDF.type, KG.Concept))
    g.add((facility, RDFS.label, Literal("數據中心", lang="zh-Hant")))

    doc = KGR["doc/86f5fe8a0223e3b1"]
    g.add((doc, RDF.type, KG.Document))
    g.add((doc, DCTERMS.identifier, Literal("86f5fe8a0223e3b1")))
    g.add((doc, DCTERMS.title, Literal("騰訊發布混元大模型", lang="zh-Hant")))
    g.add((doc, DCTERMS.date, Literal("2023-09-07", datatype=XSD.date)))
    g.add((doc, KG.script, Literal("zh-Hant")))
    g.add((doc, KG.contentHash, Literal("86f5fe8a0223e3b1")))
    g.add((doc, KG.source, Literal("sample/000_86f5fe8a0223e3b1.txt")))

    sentence = "騰訊發布混元大模型，並擁有超過3個數據中心。"
    ev = KGR["evidence/1"]
    g.add((ev, RDF.type, KG.Evidence))
    g.add((ev, KG.document, doc))
    g.add((ev, KG.sentenceText, Literal(sentence, lang="zh-Hant")))
    g.add((ev, KG.sentenceStart, Literal(0)))
    g.add((ev, KG.sentenceEnd, Literal(len(sentence))))
    g.add((ev, KG.subjectText, Literal("騰訊")))
    g.add((ev, KG.subjectStart, Literal(0)))
    g.add((ev, KG.subjectEnd, Literal(2)))
    g.add((ev, KG.objectText, Literal("混元")))
    g.add((ev, KG.objectStart, Literal(4)))
    g.add((ev, KG.objectEnd, Literal(6)))
    g.add((ev, KG.extractor, Literal("rules")))
    g.add((ev, KG.confidence, Literal(Decimal("0.9"))))

    fact = KGR["assertion/1"]
    g.add((fact, RDF.type, KG.Assertion))
    g.add((fact, RDF.subject, company))
    g.add((fact, RDF.predicate, KG.released))
    g.add((fact, RDF.object, product))
    g.add((fact, KG.confidence, Literal(Decimal("0.9"))))
    g.add((fact, KG.evidence, ev))

    code = KGR["assertion/2"]
    g.add((code, RDF.type, KG.Assertion))
    g.add((code, RDF.subject, company))
    g.add((code, RDF.predicate, KG.hasStockCode))
    g.add((code, RDF.object, Literal("0700.HK")))
    g.add((code, KG.confidence, Literal(Decimal("1"))))
    g.add((code, KG.evidence, ev))

    qty = KGR["quantity/1"]
    g.add((qty, RDF.type, KG.Quantity))
    g.add((qty, RDF.value, Literal(Decimal("3"))))
    g.add((qty, KG.unit, Literal("個")))
    g.add((qty, KG.of, facility))
    g.add((qty, KG.moreThan, Literal(True)))
    g.add((company, KG.owns, qty))

    claim = KGR["statement/1"]
    g.add((claim, RDF.type, KG.Statement))
    g.add((claim, KG.speaker, person))
    g.add((claim, KG.claimText, Literal("混元將全面開放", lang="zh-Hant")))
    g.add((claim, KG.modality, Literal("hedged")))
    g.add((claim, KG.about, product))
    g.add((claim, KG.about, company))
    g.add((claim, KG.date, Literal("2023-09-07", datatype=XSD.date)))
    g.add((claim, KG.evidence, ev))
    return g


def _validate(data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    conforms, report, text = validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False
    )
    return bool(conforms), report, text


def _violated_paths(report: Graph) -> set:
    return {report.value(r, SH.resultPath) for r in report.subjects(RDF.type, SH.ValidationResult)}


def test_shapes_parse(shapes: Graph) -> None:
    assert len(set(shapes.subjects(RDF.type, SH.NodeShape))) >= 6


def test_conforming_graph_conforms(shapes: Graph) -> None:
    conforms, _, text = _validate(_conforming_graph(), shapes)
    assert conforms, text


def test_broken_assertion_does_not_conform(shapes: Graph) -> None:
    g = _conforming_graph()
    bad = KGR["assertion/bad"]
    g.add((bad, RDF.type, KG.Assertion))
    g.add((bad, RDF.subject, KGR["company/tencent"]))
    g.add((bad, RDF.predicate, KG.released))
    g.add((bad, RDF.object, KGR["product/hunyuan"]))
    g.add((bad, KG.confidence, Literal(Decimal("1.5"))))
    conforms, report, text = _validate(g, shapes)
    assert not conforms
    foci = {report.value(r, SH.focusNode) for r in report.subjects(RDF.type, SH.ValidationResult)}
    assert foci == {bad}, text
    assert _violated_paths(report) == {KG.confidence, KG.evidence}, text


def _break_stock_code(g: Graph) -> None:
    g.set((KGR["company/tencent"], KG.hasStockCode, Literal("0700.hk")))


def _break_label(g: Graph) -> None:
    g.remove((KGR["product/hunyuan"], RDFS.label, None))


def _break_label_language(g: Graph) -> None:
    g.add((KGR["product/hunyuan"], RDFS.label, Literal("Hunyuan", lang="fr")))


def _break_entity_iri(g: Graph) -> None:
    other = URIRef("http://example.org/tencent")
    g.add((other, RDF.type, KG.Company))
    g.add((other, RDFS.label, Literal("Tencent")))


def _break_float_confidence(g: Graph) -> None:
    g.set((KGR["assertion/1"], KG.confidence, Literal(0.9)))  # xsd:double


def _break_two_subjects(g: Graph) -> None:
    g.add((KGR["assertion/1"], RDF.subject, KGR["person/ma-huateng"]))


def _break_object_blank(g: Graph) -> None:
    g.set((KGR["assertion/1"], RDF.object, BNode()))


def _break_evidence_document(g: Graph) -> None:
    g.remove((KGR["evidence/1"], KG.document, None))


def _break_negative_offset(g: Graph) -> None:
    g.set((KGR["evidence/1"], KG.sentenceStart, Literal(-1)))


def _break_offsets_order(g: Graph) -> None:
    g.set((KGR["evidence/1"], KG.subjectStart, Literal(5)))


def _break_document_script(g: Graph) -> None:
    g.set((KGR["doc/86f5fe8a0223e3b1"], KG.script, Literal("zh-TW")))


def _break_document_identifier(g: Graph) -> None:
    g.remove((KGR["doc/86f5fe8a0223e3b1"], DCTERMS.identifier, None))


def _break_quantity_value(g: Graph) -> None:
    g.set((KGR["quantity/1"], RDF.value, Literal(3)))  # xsd:integer


def _break_quantity_flag(g: Graph) -> None:
    g.add((KGR["quantity/1"], KG.approximate, Literal("yes")))


def _break_modality(g: Graph) -> None:
    g.set((KGR["statement/1"], KG.modality, Literal("maybe")))


def _break_statement_evidence(g: Graph) -> None:
    g.remove((KGR["statement/1"], KG.evidence, None))


BREAKAGES = [
    (_break_stock_code, KG.hasStockCode),
    (_break_label, RDFS.label),
    (_break_label_language, RDFS.label),
    (_break_entity_iri, None),  # node-level sh:pattern: no result path
    (_break_float_confidence, KG.confidence),
    (_break_two_subjects, RDF.subject),
    (_break_object_blank, RDF.object),
    (_break_evidence_document, KG.document),
    (_break_negative_offset, KG.sentenceStart),
    (_break_offsets_order, KG.subjectStart),
    (_break_document_script, KG.script),
    (_break_document_identifier, DCTERMS.identifier),
    (_break_quantity_value, RDF.value),
    (_break_quantity_flag, KG.approximate),
    (_break_modality, KG.modality),
    (_break_statement_evidence, KG.evidence),
]


@pytest.mark.parametrize(
    ("breaker", "path"),
    [pytest.param(f, p, id=f.__name__.removeprefix("_break_")) for f, p in BREAKAGES],
)
def test_other_breakage_is_caught(shapes: Graph, breaker, path) -> None:
    g = _conforming_graph()
    breaker(g)
    conforms, report, text = _validate(g, shapes)
    assert not conforms
    assert _violated_paths(report) == {path}, text


# --------------------------------------------------------------------------
# context.jsonld
# --------------------------------------------------------------------------


def _expand(context: dict, value: str) -> str:
    prefix, sep, local = value.partition(":")
    if sep and prefix in context and isinstance(context[prefix], str):
        return context[prefix] + local
    return value


def test_context_prefixes(context: dict) -> None:
    for prefix, iri in PREFIXES.items():
        assert context.get(prefix) == iri, prefix


@pytest.mark.parametrize("name", TERMS)
def test_context_maps_term(context: dict, ontology: Graph, name: str) -> None:
    assert name in context, f"{name} missing from context.jsonld"
    definition = context[name]
    iri = definition if isinstance(definition, str) else definition["@id"]
    assert _expand(context, iri) == str(KG[name])

    (kind,) = _declared_types(ontology, KG[name])
    coercion = None if isinstance(definition, str) else definition.get("@type")
    if kind == OWL.Class:
        assert coercion is None
    elif kind == OWL.ObjectProperty:
        assert coercion == "@id", f"{name} should be coerced to @id"
    else:
        rng = ontology.value(KG[name], RDFS.range)
        expected = None if rng is None else str(rng)
        assert (None if coercion is None else _expand(context, coercion)) == expected, name


def test_context_has_no_stray_kg_terms(context: dict) -> None:
    names = set(TERMS)
    for key, definition in context.items():
        if key in PREFIXES:
            continue
        iri = definition if isinstance(definition, str) else definition.get("@id", "")
        if _expand(context, iri).startswith(KG_IRI):
            assert key in names, key


def test_context_round_trips_through_rdflib(context: dict) -> None:
    doc = {
        "@context": context,
        "@id": "kgr:company/tencent",
        "@type": "Company",
        "released": "kgr:product/hunyuan",
        "hasStockCode": "0700.HK",
        "confidence": "0.9",
    }
    g = Graph().parse(data=json.dumps(doc, ensure_ascii=False), format="json-ld")
    company, product = KGR["company/tencent"], KGR["product/hunyuan"]
    assert (company, RDF.type, KG.Company) in g
    assert (company, KG.released, product) in g
    assert (company, KG.hasStockCode, Literal("0700.HK", datatype=XSD.string)) in g
    assert (company, KG.confidence, Literal("0.9", datatype=XSD.decimal)) in g
