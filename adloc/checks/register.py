"""The register check: a line addresses its reader formally or informally, as the job declares
for the locale, in the languages with a T–V distinction (de, fr, es, pt, it, nl, pl).

What marks a register: the second-person pronouns and possessives (`du`/`Sie`, `tu`/`vous`,
`tú`/`usted`, `tu`/`você`, `tu`/`Lei`, `jij`/`u`, `ty`/`Pan`), the verb forms only these pronouns
take where they are unambiguous (French `-ez`, and the informal imperative that opens a French
line, found by its lemma; German `Sie` after its verb; the formal
call-to-action imperatives of Spanish and Portuguese, `pida`, `ganhe`, and the informal ones that
carry their pronoun, `únete`, `junta-te`). Sentence-initial `Sie`/`Ihr`/`Ihre` also mean she, they and
their, and are not counted. Without a declared register a line still fails when it mixes both."""

from __future__ import annotations

import re

from adloc import locale as loc
from adloc.records import CheckResult, Formality, Severity

F = Severity.FUNCTIONAL

_I = re.IGNORECASE
# language -> register -> patterns (compiled with their own flags; German formal pronouns are
# capitalised, so that pattern is case-sensitive).
_MARKERS: dict[str, dict[Formality, list[re.Pattern]]] = {
    "de": {
        Formality.FORMAL: [re.compile(r"(?<![.!?:]\s)(?<!^)(?<![.!?:])\b(?:Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b"),
                           # Opening a line, "Ihre Bestellung" is the reader's; "Ihr seid" is informal plural.
                           re.compile(r"(?:^|(?<=[.!?:]\s))(?:Ihre|Ihren|Ihrem|Ihrer|Ihres|Ihr(?!\s+(?:seid|habt|könnt|"
                                      r"müsst|wollt|dürft|sollt|werdet)\b))\b")],
        Formality.INFORMAL: [re.compile(r"\b(?:du|dich|dir|dein|deine|deinen|deinem|deiner|deines|euch|euer|eure|"
                                        r"euren|eurem|eurer)\b", _I)],
    },
    "fr": {
        Formality.FORMAL: [re.compile(r"\b(?:vous|votre|vos)\b", _I),
                           re.compile(r"\b(?!(?:chez|assez|nez|rez)\b)\w{2,}ez\b", _I)],
        Formality.INFORMAL: [re.compile(r"\b(?:tu|te|toi|ton|ta|tes)\b|\bt['’]", _I)],
    },
    # Informal Spanish and Portuguese imperatives are also the third person ("Acme trae", "o café
    # ganha"): only the forms nothing else shares count, with their pronouns.
    "es": {
        Formality.FORMAL: [re.compile(r"\b(?:usted|pida|obtenga|descubra|disfrute|ahorre|únase|regístrese|"
                                      r"descargue|elija|aproveche|venga|encuentre|canjee|consiga|traiga|"
                                      r"suscríbase|inscríbase|cuéntenos|díganos|pruebe|compre|visite)\b", _I),
                           # An imperative carrying the formal reflexive: Tómese, Consiéntase, Acérquese.
                           re.compile(r"\b\w*[áéíóú]\w*se\b", _I)],
        Formality.INFORMAL: [re.compile(r"\b(?:tú|tu|tus|te|ti|contigo|tuyo|tuya|tuyos|tuyas|obtén|únete|regístrate|"
                                        r"suscríbete|inscríbete|cuéntanos|dinos|pruébalo|pruébala)\b", _I),
                             # An imperative carrying the informal te: Únete, Acércate, Consiéntete.
                             re.compile(r"\b\w*[áéíóú]\w*te\b", _I)],
    },
    "pt": {
        Formality.FORMAL: [re.compile(r"\b(?:você|o senhor|a senhora|seu|sua|seus|suas|encomende|descubra|ganhe|"
                                      r"poupe|traga|experimente|aproveite|junte-se|registe-se|diga-nos|"
                                      r"desfrute|obtenha|venha|descarregue)\b", _I)],
        Formality.INFORMAL: [re.compile(r"\b(?:tu|te|ti|contigo|teu|tua|teus|tuas|diz-nos)\b|\b\w+-te\b", _I)],
    },
    "it": {
        Formality.FORMAL: [re.compile(r"(?<!^)(?<![.!?:]\s)\b(?:Lei|La|Le|Suo|Sua|Suoi|Sue)\b")],
        Formality.INFORMAL: [re.compile(r"\b(?:tu|ti|te|tuo|tua|tuoi|tue)\b", _I)],
    },
    "nl": {
        Formality.FORMAL: [re.compile(r"\b(?:u|uw)\b", _I)],
        Formality.INFORMAL: [re.compile(r"\b(?:je|jij|jou|jouw|jullie)\b", _I)],
    },
    "pl": {
        Formality.FORMAL: [re.compile(r"\b(?:Pan|Pani|Państwo|Pana|Panu|Panią|Panem|Państwa|Państwu|Państwem)\b")],
        Formality.INFORMAL: [re.compile(r"\b(?:ty|ciebie|cię|tobie|twój|twoja|twoje|twoi|twojego|twojej|twoim|"
                                        r"twoich|twoją)\b", _I)],
    },
}
# Brazilian Portuguese addresses everyone as você; its register shows only in o senhor / a senhora.
_PT_BR_FORMAL = [re.compile(r"\b(?:o senhor|a senhora)\b", _I)]
# French needs a subject everywhere but in the imperative, so a verb opening a line or sentence is
# one; its second-person singular form (not -ez, -es, a participle) is the informal register.
_OPENING = re.compile(r"(?:^|(?<=[.!?:;]\s))([^\W\d_]{3,})(?!['’])")


def _french_imperatives(text: str) -> list[str]:
    """Words opening a line or sentence that are informal imperatives (`Découvre`, `Profite`,
    `Prends`), by their lemma (simplemma): an -er verb's form in -e, another verb's in -s, -x or -e."""
    import simplemma

    found = []
    for match in _OPENING.finditer(text):
        word = match.group(1).lower()
        lemma = simplemma.lemmatize(word, lang="fr")
        if lemma == word:
            continue  # an infinitive, or no verb at all
        if (lemma.endswith("er") and word.endswith("e") and not word.endswith("ée")) or (
                re.search(r"(?:ir|re|oir)$", lemma) and re.search(r"[sxe]$", word)
                and not re.search(r"(?:es|és|ise)$", word)):
            found.append(match.group(1))
    return found


def has_register(locale: str) -> bool:
    """Whether the language tells a formal from an informal you (`locale.SECOND_PERSON`)."""
    return loc.language(locale) in loc.SECOND_PERSON


def markers(text: str, locale: str) -> dict[Formality, list[str]]:
    """The words of `text` that mark each register, in order of appearance."""
    language = loc.language(locale)
    table = dict(_MARKERS.get(language, {}))
    if loc.canonical(locale) == "pt-BR":
        table[Formality.FORMAL] = _PT_BR_FORMAL
    text = re.sub(r"\{[^{}]*\}", " ", text)
    found = {}
    for register, patterns in table.items():
        hits = sorted((m.start(), m.group(0)) for p in patterns for m in p.finditer(text))
        found[register] = [word for _, word in hits]
    if language == "fr":
        found[Formality.INFORMAL] = found.get(Formality.INFORMAL, []) + _french_imperatives(text)
    return found


def check_register(target: str, locale: str, formality: Formality | None = None) -> CheckResult:
    """The line uses the declared register, and never both."""
    if not has_register(locale):
        return CheckResult("register", True, 1.0, f"{loc.language(locale)} has no formal and informal you to check", F)
    found = markers(target, locale)
    formal, informal = found.get(Formality.FORMAL, []), found.get(Formality.INFORMAL, [])
    if formal and informal:
        return CheckResult("register", False, 0.0, f"mixes formal {formal[0]!r} and informal {informal[0]!r}", F)
    if formality is not None:
        wrong = informal if formality is Formality.FORMAL else formal
        if wrong:
            other = "informal" if formality is Formality.FORMAL else "formal"
            return CheckResult("register", False, 0.0,
                               f"{other} {wrong[0]!r} where the job asks for the {formality.value} register", F)
    used = "formal" if formal else "informal" if informal else "no"
    asked = f"; the job asks for {formality.value}" if formality else ""
    return CheckResult("register", True, 1.0, f"{used} second person{asked}", F)
