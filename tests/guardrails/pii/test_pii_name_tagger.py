"""The trained name tagger: EU-language names found, German nouns left alone, the checksum, batching, pre-filter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pii_support import spans

from guardrails.pii.engine import PiiEngine
from guardrails.pii.gazetteer import load as load_gazetteer
from guardrails.pii.name_features import may_hold_names
from guardrails.pii.name_model import META_FILE, MODEL_FILE, ModelChecksumError, NameTagger


def persons(engine: PiiEngine, text: str) -> list[str]:
    return [value for kind, value in spans(engine, text) if kind == "PERSON"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # German: names among capitalised nouns
        ("Frau Sabine Weber leitet seit Januar die Abteilung für Forschung.", ["Sabine Weber"]),
        ("Der Vertrag wurde von Klaus Hoffmann und Petra Schulz unterzeichnet.", ["Klaus Hoffmann", "Petra Schulz"]),
        # Spanish and Italian
        ("El paciente Juan García Pérez ingresó ayer en el hospital.", ["Juan García Pérez"]),
        ("La doctora Carmen Ruiz firmó el informe de alta.", ["Carmen Ruiz"]),
        ("Il sindaco Marco Bianchi ha inaugurato la nuova scuola.", ["Marco Bianchi"]),
        ("Ho parlato con Giulia Romano ieri sera.", ["Giulia Romano"]),
        # French legal and administrative text: titles and initials
        ("Me Dupont représente la société dans cette affaire.", ["Dupont"]),
        ("M. J. Martin est convoqué le 3 mars à 10 heures.", ["J. Martin"]),
        ("Mme Sophie Lefèvre, née à Lyon, demeurant à Paris.", ["Sophie Lefèvre"]),
    ],
)
def test_eu_names_found(engine: PiiEngine, text: str, expected: list[str]) -> None:
    assert persons(engine, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Der Bericht des Ausschusses wurde im Rathaus vorgestellt.",
        "Die Regierung plant eine neue Steuer für Unternehmen und Vereine.",
        "Im Sommer fährt der Zug jeden Montag über die Brücke nach Hamburg.",
        "Nach dem Urteil des Gerichts legte die Firma Berufung ein.",
        "El Ayuntamiento de Sevilla aprobó el presupuesto del Ministerio.",
        "La Corte di Cassazione ha respinto il ricorso della Regione.",
    ],
)
def test_capitalised_nouns_are_not_names(engine: PiiEngine, text: str) -> None:
    assert persons(engine, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Summarise the note: revenue, hiring plans and the lease are due on Friday.", False),
        ("Hello, how are you? Please reply to ops@example.com.", False),
        ("please summarise this text for me", False),
        ("Please call Jean Dupont tomorrow.", True),
        ("Der Hund läuft über die Straße.", True),  # German nouns: only the tagger can tell
        ("Marie est arrivée.", True),  # a listed given name opening the sentence
        ("It is INV-2041: the VAT line is charged twice.", False),  # an identifier, an acronym
        ("why does this SQL query return no rows from the API?", False),
        ("Please forward it to JANE today.", True),  # a listed given name in capitals
        ("Please forward it to DUPONT today.", True),  # longer than an acronym
        ("It is INV-2041 and Jean Dupont signed it.", True),
    ],
)
def test_prefilter(text: str, expected: bool) -> None:
    assert may_hold_names(text, load_gazetteer()) is expected


@pytest.fixture(scope="module")
def tagger() -> NameTagger:
    return NameTagger(load_gazetteer())


def test_batching_gives_the_same_entities(tagger: NameTagger) -> None:
    texts = ["Please ask Maria Schmidt.", "Der Bericht von Hans Müller liegt vor, sagt Frau Weber aus Köln.", "ok"]
    assert tagger.tag(texts) == [tagger.tag([text])[0] for text in texts]


def test_long_text_is_tagged_in_windows(tagger: NameTagger) -> None:
    filler = "The committee reviewed the budget and the plans for the new building in detail. " * 12
    text = f"Anna Kowalski opened the meeting. {filler}Then Pedro Álvarez closed it."
    found = [text[t.start : t.end] for t in tagger.tag([text])[0] if t.label == "PER"]
    assert found == ["Anna Kowalski", "Pedro Álvarez"]


def test_a_tampered_model_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "name_tagger.onnx"
    data = bytearray(MODEL_FILE.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    with pytest.raises(ModelChecksumError, match="does not match"):
        NameTagger(load_gazetteer(), model=tampered, meta=META_FILE)


def test_a_model_with_another_recorded_checksum_is_refused(tmp_path: Path) -> None:
    meta = tmp_path / "name_tagger.json"
    meta.write_text(json.dumps({"sha256": "0" * 64}), encoding="utf-8")
    with pytest.raises(ModelChecksumError):
        NameTagger(load_gazetteer(), model=MODEL_FILE, meta=meta)
