"""Templated training sentences for the name tagger, written for Warden (DE/ES/IT/FR/EN), seeded.

What the public sets lack: Wikipedia-style biography sentences in German, Spanish and Italian; French legal and
administrative text with titles (M., Mme, Me, Maître) and initials (M. J. Martin, J.-P. Durand), surnames in
capitals (M. Jean DUPONT); and German sentences full of capitalised common nouns, places and firms, which are
not names. Titles are left out of the PERSON span, as in the public sets. Names are drawn half from the lists
below and half from the shipped gazetteer, so the tagger does not learn one short list by heart.
"""

from __future__ import annotations

import gzip
import random
import re

from evals.pii_corpora import Row, Span
from guardrails.pii.gazetteer import DATA

FIRST = {
    "de": "Hans Jürgen Klaus Wolfgang Stefan Andreas Thomas Michael Uwe Dieter Sabine Ursula Monika Petra Katrin "
          "Anja Birgit Heike Lukas Leon Finn Jonas Lena Hannah Sophie Marie Friedrich Johannes Ingrid Gudrun",
    "es": "José Antonio Manuel Francisco Javier Jesús Carlos Alejandro Miguel Rafael Pedro Ángel María Carmen "
          "Josefa Isabel Dolores Pilar Teresa Lucía Rosario Mercedes Paula Raquel Inmaculada Sergio Álvaro Nuria",
    "it": "Giuseppe Giovanni Antonio Mario Luigi Francesco Angelo Vincenzo Pietro Salvatore Giulia Francesca "
          "Chiara Alessandra Paola Federica Valentina Elena Lorenzo Matteo Alessandro Davide Gianluca Sofia Rosa",
    "fr": "Jean Pierre Michel Philippe Alain Nicolas François Laurent Julien Sébastien Marie Nathalie Isabelle "
          "Sylvie Catherine Françoise Sandrine Céline Émilie Camille Hélène Thierry Jérôme Benoît Éric Agnès",
    "en": "James John Robert Michael William David Richard Mary Patricia Jennifer Linda Elizabeth Susan Sarah "
          "Emily Oliver Harry George Amelia Olivia Grace Thomas Daniel Rachel Megan",
}  # fmt: skip
LAST = {
    "de": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
          "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Krause",
    "es": "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández "
          "Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil",
    "it": "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti De_Luca "
          "Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso",
    "fr": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
          "Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert",
    "en": "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson White Harris "
          "Clark Lewis Walker Hall Young King Wright Scott Green Baker Adams",
}  # fmt: skip
PLACES = {
    "de": "Berlin Hamburg München Köln Frankfurt Stuttgart Düsseldorf Leipzig Dresden Hannover Nürnberg Wien "
          "Graz Zürich Bern Bremen Bayern Sachsen Österreich Deutschland Schweiz",
    "es": "Madrid Barcelona Valencia Sevilla Zaragoza Málaga Murcia Bilbao Alicante Córdoba Valladolid Granada "
          "Toledo Salamanca Navarra Galicia Andalucía España México Argentina",
    "it": "Roma Milano Napoli Torino Palermo Genova Bologna Firenze Bari Catania Venezia Verona Trieste Padova "
          "Toscana Sicilia Lombardia Italia Sardegna",
    "fr": "Paris Lyon Marseille Toulouse Nice Nantes Strasbourg Montpellier Bordeaux Lille Rennes Reims Grenoble "
          "Dijon Angers Nîmes Versailles Bretagne Normandie France Belgique",
    "en": "London Manchester Birmingham Leeds Glasgow Liverpool Bristol Edinburgh Boston Chicago Dublin Toronto "
          "Sydney England Scotland Ireland Canada",
}  # fmt: skip
ORGS = {
    "de": ["Deutsche Bank", "Siemens", "FC Bayern München", "Universität Wien", "Bundesagentur für Arbeit",
           "Volkswagen", "Technische Universität Dresden", "Deutsche Bahn", "Landgericht Hamburg"],
    "es": ["Banco Santander", "Real Madrid", "Universidad de Salamanca", "Ministerio de Sanidad", "Telefónica",
           "Hospital Universitario La Paz", "Tribunal Supremo", "Audiencia Provincial de Sevilla"],
    "it": ["Fiat", "Juventus", "Università di Bologna", "Banca d'Italia", "Ministero della Salute", "ENI",
           "Corte di Cassazione", "Tribunale di Milano", "Ferrovie dello Stato"],
    "fr": ["Société Générale", "Renault", "Université de Lyon", "Cour de cassation", "Conseil d'État",
           "Tribunal judiciaire de Paris", "SNCF", "Caisse primaire d'assurance maladie", "Crédit Agricole"],
    "en": ["Microsoft", "Barclays", "University of Leeds", "High Court", "British Airways", "Acme Ltd",
           "National Health Service", "Manchester United"],
}
# German capitalises every noun: these are the words the tagger must learn to leave alone.
NOUNS_DE = (
    "Haus Stadt Wasser Regierung Bericht Jahr Zeit Arbeit Schule Kinder Frau Mann Straße Brücke Kirche Gemeinde "
    "Bahnhof Gericht Urteil Vertrag Antrag Rechnung Firma Unternehmen Mitarbeiter Leistung Krankenhaus Patient "
    "Behandlung Untersuchung Ergebnis Entwicklung Forschung Wissenschaft Geschichte Krieg Frieden Kaiser König "
    "Herzog Bischof Graf Fürst Ritter Burg Schloss Dorf Kreis Landkreis Bundesland Einwohner Bevölkerung "
    "Fläche Fluss Berg Wald Insel Meer Küste Hafen Schiff Flugzeug Auto Zug Verkehr Polizei Feuerwehr Wahl "
    "Partei Minister Kanzler Präsident Bürgermeister Verein Mannschaft Spieler Trainer Saison Tor Meisterschaft "
    "Weltmeister Sieg Niederlage Album Lied Sänger Band Film Roman Autor Verlag Zeitung Sender Sendung Musik "
    "Kunst Maler Bild Ausstellung Museum Theater Oper Bühne Rolle Preis Auszeichnung Universität Studium "
    "Professor Lehrer Schüler Prüfung Zeugnis Brief Nachricht Termin Woche Monat Sommer Winter Frühling Herbst "
    "Montag Freitag Januar März Mai Oktober Dezember Anfang Ende Mitte Teil Hälfte Zahl Menge Beispiel Frage "
    "Antwort Grund Folge Ziel Plan Idee Problem Lösung Kosten Steuer Gesetz Verordnung Rat Ausschuss Sitzung"
).split()
JOBS = {
    "de": "Fußballspieler Politiker Schauspieler Schriftsteller Komponist Maler Architekt Sänger Historiker",
    "es": "futbolista político actor escritor compositor pintor arquitecto cantante historiador",
    "it": "calciatore politico attore scrittore compositore pittore architetto cantante storico",
    "fr": "footballeur homme politique acteur écrivain compositeur peintre architecte chanteur historien",
    "en": "footballer politician actor writer composer painter architect singer historian",
}  # fmt: skip

TEMPLATES = {
    "de": [
        "{P} (* {Y} in {L}) ist ein deutscher {J}.", "{P} wurde {Y} in {L} geboren und starb {Y} in {L}.",
        "Im Jahr {Y} wechselte {P} zum Verein {O}.", "Sehr geehrte Frau {LAST}, vielen Dank für Ihre {N}.",
        "Herr {P} ist seit {Y} Geschäftsführer der {O}.", "Laut {N} des {N} ist die {N} in {L} gestiegen.",
        "Die {N} und der {N} wurden {Y} in {L} gebaut.", "Nach dem {N} übernahm {P} die {N} der {O}.",
        "Der {N} von {L} liegt an der {N} zwischen {L} und {L}.", "Bitte leiten Sie die {N} an {P} weiter.",
        "Die {N} der {O} hat ihren {N} in {L}.", "Sein Sohn {FIRST} {LAST} wurde später {J} in {L}.",
        "Das {N} zur {N} wurde am {D} von {P} und {P} unterzeichnet.", "Zur {N} kamen {N}, {N} und {N}.",
        "{P} spielte in der {N} {Y} für {O} und erzielte ein {N}.", "Dr. {LAST} leitet die {N} in {L}.",
    ],
    "es": [
        "{P} ({L}, {Y}) es un {J} español.", "{P} nació en {L} en {Y} y falleció en {L}.",
        "El señor {P} presentó la demanda ante el Juzgado de {L}.", "La paciente {P} ingresó el {D}.",
        "D. {P}, con DNI {ID}, en nombre de {O}, comparece ante el tribunal.",
        "Dña. {P} interpone recurso contra la sentencia del {O}.", "El Sr. {LAST} declaró que no recuerda nada.",
        "La Sra. {LAST} fue atendida en el {O} de {L}.", "Según el Ayuntamiento de {L}, la obra termina en {Y}.",
        "En {Y} fichó por el {O}, donde coincidió con {P}.", "Médico: {P}. Servicio de Urgencias, {O}.",
        "Estimado {FIRST}, te escribo para confirmar la reunión con {P}.", "Firmado: {P}, abogado.",
    ],
    "it": [
        "{P} ({L}, {Y}) è un {J} italiano.", "{P} nacque a {L} nel {Y} e morì a {L}.",
        "Il sindaco di {L}, {P}, ha inaugurato la nuova sede di {O}.", "Il dott. {P} ha visitato la paziente.",
        "La signora {LAST} ha chiesto un appuntamento per il {D}.", "L'avvocato {P} rappresenta {O}.",
        "Nel {Y} passò alla {O}, allenata da {P}.", "Gentile {P}, la ringraziamo per la sua richiesta.",
        "Il Tribunale di {L} ha condannato {P} a due anni.", "Secondo il {O}, la crescita a {L} è stata lenta.",
        "Il sig. {LAST} e la sig.ra {LAST} abitano a {L}.", "Firmato: {P}, {L}, {D}.",
    ],
    "fr": [
        "{P}, né le {D} à {L}, est un {J} français.", "M. {P}, demeurant à {L}, a saisi le tribunal.",
        "Mme {P}, née le {D} à {L}, de nationalité française.", "Me {LAST}, avocat au barreau de {L}.",
        "Maître {P} représente la société {O}.", "M. {INIT} et Mme {INIT} sont convoqués le {D}.",
        "{HYPH}, directeur de {O}, a signé le contrat.", "Entre M. {FIRST} {CAPS}, et Mme {FIRST} {CAPS}.",
        "La cour d'appel de {L} a rejeté le pourvoi formé par {P} contre {O}.", "Bonjour {FIRST}, peux-tu appeler {P} ?",
        "Le {D}, Mme {LAST} a été entendue par le juge.", "Vu la requête présentée par Me {P} pour {O}.",
        "Fait à {L}, le {D}. Signé : {P}.", "Dossier suivi par {P} ({O}, {L}).",
    ],
    "en": [
        "{P} was born in {L} in {Y}.", "Please ask {P} to call me back about the {O} contract.",
        "Dear Mr {LAST}, thank you for your letter.", "{P} joined {O} in {Y} as head of sales in {L}.",
        "Meeting notes: {P}, {P} and {P} attended.", "Ms {LAST} from {O} will visit {L} on {D}.",
        "Hi {FIRST}, can you forward this to {P}?", "Signed, {P}", "The {O} office in {L} opens on {D}.",
    ],
}


def _gazetteer_names(seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    firsts = [line.split("\t")[0] for line in gzip.decompress((DATA / "world_first_names.tsv.gz").read_bytes())
              .decode().splitlines()]  # fmt: skip
    lasts = [line.split("\t")[0] for line in gzip.decompress((DATA / "names.tsv.gz").read_bytes()).decode()
             .splitlines() if line.split("\t")[2] != "0"]  # fmt: skip
    return [n.title() for n in rng.sample(firsts, 3000)], [n.title() for n in rng.sample(lasts, 3000)]


class _Filler:
    def __init__(self, language: str, rng: random.Random, extra: tuple[list[str], list[str]]) -> None:
        self.lang, self.rng, self.extra = language, rng, extra

    def first(self) -> str:
        pool = FIRST[self.lang].split() if self.rng.random() < 0.6 else self.extra[0]
        return self.rng.choice(pool)

    def last(self) -> str:
        pool = LAST[self.lang].split() if self.rng.random() < 0.6 else self.extra[1]
        return self.rng.choice(pool).replace("_", " ")

    def value(self, slot: str) -> tuple[str, str | None]:
        rng = self.rng
        if slot == "P":
            name = f"{self.first()} {self.last()}"
            return (f"{self.first()} {name}" if rng.random() < 0.1 else name), "PERSON"
        if slot == "FIRST":
            return self.first(), "PERSON"
        if slot == "LAST":
            return self.last(), "PERSON"
        if slot == "CAPS":
            return self.last().upper(), "PERSON"
        if slot == "HYPH":
            return f"{rng.choice(['J.-P.', 'J.-M.', 'M.-C.', 'P.-Y.'])} {self.last()}", "PERSON"
        if slot == "INIT":
            return f"{rng.choice('ABCDEFGHJLMNPRST')}. {self.last()}", "PERSON"
        if slot == "L":
            return rng.choice(PLACES[self.lang].split()), "LOCATION"
        if slot == "O":
            return rng.choice(ORGS[self.lang]), "ORGANIZATION"
        if slot == "N":
            return rng.choice(NOUNS_DE), None
        if slot == "J":
            return rng.choice(JOBS[self.lang].split()), None
        if slot == "Y":
            return str(rng.randint(1850, 2024)), None
        if slot == "D":
            return f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1950, 2024)}", None
        return f"{rng.randint(10000000, 99999999)}{rng.choice('ABCDEFGHJKLMNPQRSTVWXYZ')}", None  # ID


_SLOT = re.compile(r"\{([A-Z]+)\}")


def generate(per_language: int = 1200, seed: int = 7) -> list[Row]:
    """`per_language` sentences for each of DE, ES, IT, FR, EN, joined in pairs half of the time."""
    rng = random.Random(seed)
    extra = _gazetteer_names(seed)
    rows: list[Row] = []
    for language, templates in TEMPLATES.items():
        filler = _Filler(language, rng, extra)
        for _ in range(per_language):
            parts = [rng.choice(templates) for _ in range(1 if rng.random() < 0.5 else 2)]
            rows.append(_fill(" ".join(parts), filler))
    return rows


def _fill(template: str, filler: _Filler) -> Row:
    text, spans, position = "", [], 0
    for match in _SLOT.finditer(template):
        text += template[position : match.start()]
        value, kind = filler.value(match.group(1))
        previous = spans[-1] if spans else None
        if kind == "PERSON" and previous and previous["entity_type"] == kind and text[previous["end_position"]:] == " ":
            previous["end_position"] = len(text) + len(value)  # "{FIRST} {LAST}" is one name
        elif kind:
            spans.append(Span(entity_type=kind, start_position=len(text), end_position=len(text) + len(value)))
        text += value
        position = match.end()
    text += template[position:]
    return Row(full_text=text, spans=spans)
