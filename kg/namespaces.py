"""The ontology's terms as closed namespaces.

Every term used in code is listed here; a misspelt term fails loudly
(``DefinedNamespace`` with ``_fail = True``), and ``tests/test_ontology.py``
checks each one is declared in ``ontology/kg.ttl``.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD, DefinedNamespace

__all__ = ["KG", "KGR", "PREFIXES", "DCTERMS", "OWL", "PROV", "RDF", "RDFS", "SDO", "SKOS", "XSD"]

KG_IRI = "https://w3id.org/kgzh/ontology#"
KGR_IRI = "https://w3id.org/kgzh/id/"


class KG(DefinedNamespace):
    """Terms of the kg ontology (``ontology/kg.ttl``)."""

    _NS = Namespace(KG_IRI)
    _fail = True

    # classes: entities
    Entity: URIRef
    Organization: URIRef
    Company: URIRef
    GovernmentBody: URIRef
    Person: URIRef
    Product: URIRef
    Stock: URIRef
    Place: URIRef
    Position: URIRef
    Concept: URIRef
    Facility: URIRef
    Event: URIRef
    # classes: values, provenance, claims
    Quantity: URIRef
    Document: URIRef
    Evidence: URIRef
    Assertion: URIRef
    Statement: URIRef

    # relations between entities (object properties)
    released: URIRef
    basedOn: URIRef
    competitorOf: URIRef
    conceptStockOf: URIRef
    commentedOn: URIRef
    partnerOf: URIRef
    states: URIRef
    predicts: URIRef
    founderOf: URIRef
    chairmanOf: URIRef
    ceoOf: URIRef
    holdsPosition: URIRef
    owns: URIRef
    hasQuantity: URIRef
    headquarteredIn: URIRef
    subsidiaryOf: URIRef
    relatedTo: URIRef
    # FinRE-aligned finance relations
    injectsCapitalInto: URIRef
    inDisputeWith: URIRef
    increasesStakeIn: URIRef
    restructures: URIRef
    buysAssetsOf: URIRef
    signsWith: URIRef
    holdsSharesIn: URIRef
    tradesWith: URIRef
    investsIn: URIRef
    transfersTo: URIRef
    establishes: URIRef
    analyzes: URIRef
    cooperatesWith: URIRef
    helps: URIRef
    issues: URIRef
    negotiatesWith: URIRef
    mergesWith: URIRef
    competesWith: URIRef
    ordersFrom: URIRef
    reducesStakeIn: URIRef
    jointVentureWith: URIRef
    acquires: URIRef
    backdoorListsVia: URIRef
    owesDebtTo: URIRef
    plansToAcquire: URIRef

    # literal-valued facts (datatype properties)
    hasStockCode: URIRef
    foundedOn: URIRef
    registeredCapital: URIRef
    shortName: URIRef
    title: URIRef

    # quantity nodes
    of: URIRef
    unit: URIRef
    approximate: URIRef
    atLeast: URIRef
    moreThan: URIRef

    # claims (kg:Statement)
    speaker: URIRef
    about: URIRef
    claimText: URIRef
    modality: URIRef
    date: URIRef

    # reified facts (kg:Assertion) and their evidence
    confidence: URIRef
    evidence: URIRef
    document: URIRef
    sentenceText: URIRef
    sentenceStart: URIRef
    sentenceEnd: URIRef
    subjectText: URIRef
    subjectStart: URIRef
    subjectEnd: URIRef
    objectText: URIRef
    objectStart: URIRef
    objectEnd: URIRef
    extractor: URIRef
    mentionCount: URIRef
    factCount: URIRef  # materialised degree of an entity or quantity in the fact graph

    # documents
    script: URIRef
    source: URIRef
    contentHash: URIRef


KGR = Namespace(KGR_IRI)

#: Prefixes bound in every graph and available in every query.
PREFIXES: dict[str, str] = {
    "kg": KG_IRI,
    "kgr": KGR_IRI,
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "schema": str(SDO),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
}
