"""More templated sentences for the name tagger (DE/ES/IT/FR), written for Warden: the shapes that fooled it.

- Capitalised words that are not names: German nouns, and the institutions, titles and events that Italian,
  Spanish and French capitalise (Stato, Comune, Iglesia, Ayuntamiento, État, Cour), in encyclopaedia-style
  sentences and news.
- Places and organisations named after a person (Via Giuseppe Garibaldi, Colegio Miguel de Cervantes,
  Goethe-Gymnasium, lycée Victor-Hugo): a place or a firm, not a person.
- Titles and initials in Italian, Spanish and French legal and administrative text (avv., dott.ssa, Sr. D.,
  M. et Mme, Me, MM.), with the title outside the PERSON span as in the public sets.

`names_synth.generate` draws these templates along with its own; the slots are the same, plus {C} (a
capitalised common word of the language) and {NL}/{NO} (a place or organisation named after a person).
"""

from __future__ import annotations

COMMON = {
    "de": "Regierung Verwaltung Gemeinde Stadtrat Landtag Bundestag Reichstag Kaiserreich Königreich Herzogtum "
          "Weltkrieg Krieg Revolution Kirche Kloster Dom Kapelle Pfarrei Bistum Erzbischof Papst Kardinal "
          "Pfarrer Abt Mönch Orden Armee Regiment Division Offizier General Leutnant Hauptmann Soldat "
          "Bundesliga Liga Pokal Weltmeisterschaft Olympische Spiele Nationalmannschaft Verteidiger Stürmer "
          "Torwart Abitur Gymnasium Hochschule Fakultät Doktorarbeit Lehrstuhl Studenten Vorlesung Staatsanwalt "
          "Richter Angeklagte Kläger Beklagte Klage Berufung Beschluss Amtsgericht Anwalt Steuerberater Finanzamt "
          "Rentenversicherung Krankenkasse Versicherung Mieter Vermieter Wohnung Kündigung Arbeitgeber "
          "Vorsitzende Geschäftsführung Aufsichtsrat Vorstand Gesellschaft Aktien Umsatz Gewinn Markt Handel "
          "Bauer Landwirt Schmied Müller Bäcker Fischer Weber Schneider Zimmermann Koch Jäger Schäfer Wagner",
    "es": "Estado Gobierno Iglesia Ayuntamiento Diputación Cortes Congreso Senado Ministerio Consejo Tribunal "
          "Juzgado Audiencia Rey Reina Reino Imperio Corona Guerra Revolución Independencia República Partido "
          "Liga Copa Campeonato Selección Mundial Juegos Olímpicos Universidad Facultad Catedral Castillo "
          "Museo Teatro Festival Premio Conde Duque Marqués Príncipe Virgen Santo Papa Obispo Arzobispo "
          "Presidente Ministro Alcalde Concejal Fiscal Magistrado Juez Letrado Procurador Notario Decreto Ley",
    "it": "Stato Comune Regione Provincia Repubblica Chiesa Papa Re Regno Impero Guerra Partito Camera Senato "
          "Governo Parlamento Presidente Ministro Consiglio Corte Serie Coppa Campionato Nazionale Università "
          "Duomo Castello Basilica Santo Conte Duca Principe Marchese Museo Teatro Festival Premio Mondiali "
          "Olimpiadi Risorgimento Resistenza Liberazione Costituzione Procura Questura Prefettura Sindaco "
          "Giudice Pubblico Ministero Cassazione Tribunale Decreto Legge Vescovo Cardinale Diocesi Parrocchia",
    "fr": "État Gouvernement Église Assemblée Sénat Conseil République Roi Royaume Empire Guerre Parti "
          "Président Ministre Cour Tribunal Ligue Coupe Championnat Université Cathédrale Château Musée "
          "Théâtre Festival Prix Comte Duc Prince Marquis Saint Jeux Olympiques Résistance Révolution "
          "Préfecture Mairie Département Région Commune Arrêt Décret Code Parquet Procureur Juge Greffe",
}  # fmt: skip
# A place or an organisation named after a person: {FIRST} and {LAST} are filled, the whole is one entity.
NAMED = {
    "de": [("{LAST}straße", "LOCATION"), ("{FIRST}-{LAST}-Straße", "LOCATION"), ("{LAST}platz", "LOCATION"),
           ("{LAST}-Gymnasium", "ORGANIZATION"), ("{FIRST}-{LAST}-Schule", "ORGANIZATION"),
           ("{FIRST}-{LAST}-Stiftung", "ORGANIZATION"), ("Universität {LAST}", "ORGANIZATION")],
    "es": [("Calle de {FIRST} {LAST}", "LOCATION"), ("Plaza de {LAST}", "LOCATION"),
           ("Avenida {FIRST} {LAST}", "LOCATION"), ("Colegio {FIRST} {LAST}", "ORGANIZATION"),
           ("Hospital {FIRST} {LAST}", "ORGANIZATION"), ("Fundación {FIRST} {LAST}", "ORGANIZATION"),
           ("Estadio {FIRST} {LAST}", "LOCATION")],
    "it": [("Via {FIRST} {LAST}", "LOCATION"), ("Piazza {LAST}", "LOCATION"), ("Corso {LAST}", "LOCATION"),
           ("Liceo {FIRST} {LAST}", "ORGANIZATION"), ("Stadio {FIRST} {LAST}", "LOCATION"),
           ("Fondazione {FIRST} {LAST}", "ORGANIZATION"), ("Ospedale {FIRST} {LAST}", "ORGANIZATION"),
           ("Aeroporto di {L} {LAST}", "LOCATION")],
    "fr": [("rue {FIRST}-{LAST}", "LOCATION"), ("avenue {FIRST}-{LAST}", "LOCATION"),
           ("place {LAST}", "LOCATION"), ("lycée {FIRST}-{LAST}", "ORGANIZATION"),
           ("collège {LAST}", "ORGANIZATION"), ("hôpital {FIRST}-{LAST}", "ORGANIZATION"),
           ("Fondation {FIRST} {LAST}", "ORGANIZATION")],
}
TEMPLATES = {
    "de": [
        "Die {C} der {C} wurde {Y} nach dem {C} neu gegründet.", "Der {C} bestätigte am {D} den {C} des {C}.",
        "{P} besuchte das {NO} in {L} und studierte später {C} an der {O}.",
        "Nach dem {C} war {P} als {C} beim {C} in {L} tätig.", "Das Büro liegt in der {NL} in {L}.",
        "Im {C} von {L} erinnert eine {C} an den {C} {P}.", "Die {C} der {C} gegen {P} wurde abgewiesen.",
        "In der {C} {Y} stieg der {C} mit {P} als {C} auf.", "Der {C} und die {C} stimmten dem {C} zu.",
        "Rechtsanwältin {P} vertritt die {C} im {C} gegen die {O}.", "{P} ist {C} der {C} in {L}.",
        "Die {C} {C} und {C} lagen im {C} über dem {C} des {C}.", "Die {NO} vergibt jedes {C} einen {C}.",
    ],
    "es": [
        "{P} ({L}, {Y} - {L}, {Y}) fue un {J} y {J} español.", "En {Y} el {C} aprobó la {C} de {C}.",
        "Tras la {C} {C}, {P} se exilió en {L}.", "El {C} de {L} inauguró la {NL} en {Y}.",
        "Estudió en el {NO} y se doctoró en la {O}.", "Ganó la {C} con el {O} en {Y}, dirigido por {P}.",
        "El Sr. D. {P}, mayor de edad, con domicilio en la {NL} de {L}.", "Dña. {P} actúa como {C}.",
        "La {C} de {L} condenó a {INIT} por un delito de estafa.", "El letrado {P} recurrió ante la {C}.",
        "La {C} y el {C} firmaron el {C} el {D}.", "Nombrado {C} por el {C} {FIRST} {ROMAN}, gobernó hasta {Y}.",
    ],
    "it": [
        "{P} ({L}, {D} – {L}, {D}) è stato un {J} e {J} italiano.", "Nel {Y} il {C} approvò la {C}.",
        "Durante la {C} fu deputato alla {C} per il {C}.", "Studiò al {NO} di {L} e poi all'{O}.",
        "La {NL} a {L} fu dedicata a {P} nel {Y}.", "Giocò in {C} A con la {O}, allenata da {P}.",
        "Il {C} {FIRST} {ROMAN} nominò {P} vescovo di {L}.", "L'avv. {P} del foro di {L} difende il sig. {LAST}.",
        "La dott.ssa {P} ha depositato la perizia presso il {C} di {L}.", "Il {C} e la {C} di {L} hanno firmato l'accordo.",
        "Il prof. {P} insegna all'{O}.", "Con sentenza del {D} la {C} ha respinto il ricorso di {INIT}.",
        "Nel {Y} vinse il {C} con il romanzo {TITLE}.", "Il sindaco {LAST} ha incontrato il {C} della {C}.",
    ],
    "fr": [
        "M. et Mme {LAST} demeurant {NL} à {L}.", "MM. {LAST} et {LAST}, gérants de la société {O}.",
        "Mlle {P}, étudiante, née le {D}.", "Le Dr {LAST} a examiné M. {INIT}.", "Me {INIT}, avocat au barreau de {L}.",
        "Par arrêt du {D}, la {C} de {L} a condamné M. {CAPS} {FIRST}.", "Monsieur {P}, {C} du {C} de {L}.",
        "Madame {P} a été élue au {C} en {Y}.", "Le {C} a nommé {P} préfet de la {C}.",
        "Il étudie au {NO} puis à la {O}.", "Pendant la {C}, {P} rejoint la {C} à {L}.",
        "Le {C} et l'{C} ont signé la convention le {D}.", "Affaire suivie par {INIT}, greffier.",
        "{P} ({L}, {Y} - {L}, {Y}) est un {J} français.", "Le {C} {FIRST} {ROMAN} accorde à {P} le titre de {C}.",
    ],
}  # fmt: skip
# A person named by the surname alone, the way an encyclopaedia goes on after the first mention.
BARE = {
    "de": ["{LAST} wechselte {Y} nach {L}.", "Laut {LAST} war die {C} ein Erfolg.", "{LAST} starb {Y} in {L}.",
           "Danach übernahm {LAST} die {C} in {L}.", "Im Jahr {Y} heiratete {LAST} die Tochter von {P}."],
    "es": ["{LAST} murió en {L} en {Y}.", "Según {LAST}, la {C} fue un éxito.", "En {Y}, {LAST} se trasladó a {L}.",
           "{LAST} fue nombrado {C} de {L}.", "Ese año {LAST} se casó con {P}."],
    "it": ["{LAST} morì a {L} nel {Y}.", "Secondo {LAST}, la {C} fu un successo.", "Nel {Y} {LAST} si trasferì a {L}.",
           "{LAST} fu nominato {C} di {L}.", "Dopo la morte di {LAST}, la {C} passò a {P}.",
           "In quegli anni {LAST} conobbe {FIRST}, che sposò nel {Y}."],
    "fr": ["{LAST} meurt à {L} en {Y}.", "Selon {LAST}, la {C} fut un succès.", "En {Y}, {LAST} s'installe à {L}.",
           "{LAST} est nommé {C} de {L}.", "Après la mort de {LAST}, son fils {FIRST} reprend l'atelier."],
}  # fmt: skip
TITLES = {
    "de": ["„Die Zeit der {C}“", "„{C} und {C}“"], "es": ["«La {C}»", "«El {C} de {L}»"],
    "it": ["«Il {C}»", "«La {C} di {L}»"], "fr": ["« Le {C} »", "« La {C} de {L} »"],
}
ROMAN = "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI".split()
