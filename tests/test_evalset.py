"""The eval set shipped in examples/eval, and the errors a broken one gets."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from conftest import EXAMPLES

from adloc.errors import AdlocError
from adloc.evals.evalset import LABELS, load

LOCALES = ["ar-AE", "de-DE", "es-MX", "fr-FR", "pt-PT"]


def test_the_shipped_set_has_150_lines_per_locale_split_and_a_labelled_set():
    evalset = load(EXAMPLES / "eval")
    assert evalset.locales == LOCALES
    for locale in LOCALES:
        lines = evalset.lines[locale]
        assert len(lines) >= 150
        tune, held_out = evalset.split(locale, "tune"), evalset.split(locale, "heldout")
        assert len(tune) + len(held_out) == len(lines) and len(held_out) >= 50 and len(tune) >= 50
        assert not {x.source for x in tune} & {x.source for x in held_out}  # nothing learnt is scored
        assert {x.slot for x in lines} == {"headline", "body", "cta"}
        assert any("{" in x.source for x in held_out) and any(c.isdigit() for x in held_out for c in x.source)
        assert all(x.reference.strip() and x.reference != x.source for x in lines if len(x.source.split()) > 3)
        labelled = Counter(x.expect for x in evalset.labelled if x.locale == locale)
        assert labelled["good"] >= 10 and sum(labelled.values()) - labelled["good"] >= 10
        assert set(labelled) <= set(LABELS)
    assert evalset.glossary["de-DE"]  # the brand glossary comes with it


@pytest.fixture
def broken(tmp_path):
    root = tmp_path / "eval"
    shutil.copytree(EXAMPLES / "eval", root)
    (root / "set.yaml").write_text((root / "set.yaml").read_text().replace("../catalog/glossary.yaml",
                                                                           str(EXAMPLES / "catalog" / "glossary.yaml")))
    return root


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("lines.tsv", "e002\ttune", "e002\tholdout", "lines.tsv, line 3, field split: Input should be 'tune' or 'heldout'"),
    ("lines.tsv", "e002\ttune\theadline\t48", "e002\ttune\theadline\tforty", "lines.tsv, line 3, field max_chars"),
    ("pt-PT.tsv", "e002\t", "e999\t", "pt-PT.tsv: ids e999 are not in lines.tsv"),
    ("de-DE.tsv", "e003\t", "e002\t", "de-DE.tsv: id 'e002' appears twice"),
    ("fr-FR.tsv", "\ne004\t", "\ne004\textra\t", "fr-FR.tsv, line 5: more fields than the header names"),
    ("labelled.tsv", "l002\tpt-PT\tplaceholders", "l002\tpt-PT\tplaceholder", "labelled.tsv, line 3, field expect"),
    ("set.yaml", "brand: Acme Coffee", "brand: ''", "set.yaml, field brand"),
])
def test_a_broken_row_is_named_by_file_line_and_field(broken, file, old, new, message):
    _edit(broken / file, old, new)
    with pytest.raises(AdlocError) as error:
        load(broken)
    assert message in str(error.value)
    assert str(broken) in str(error.value)


def test_a_locale_without_a_reference_for_every_line_is_refused(broken):
    path = broken / "es-MX.tsv"
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:-3]) + "\n", encoding="utf-8")
    with pytest.raises(AdlocError, match=r"es-MX.tsv: no reference for e179, e180, e181"):
        load(broken)


def test_the_digest_changes_with_any_reference(broken):
    before = load(broken).digest
    _edit(broken / "pt-PT.tsv", "Café", "Cafe")
    assert load(broken).digest != before


JUDGED_HEADER = "id\tmodel\toutput\tverdict\tcategory\tnote\n"


@pytest.mark.parametrize(("row", "message"), [
    ("e999\tm\tZwei\tacceptable\t\t", "judged/de-DE.tsv, line 2, field id: 'e999' is not in lines.tsv"),
    ("e001\tm\tZwei\tfine\t\t", "judged/de-DE.tsv, line 2, field verdict"),
    ("e001\tm\tZwei\tunacceptable\t\t", "judged/de-DE.tsv, line 2, field category: an unacceptable output names"),
    ("e001\tm\tZwei\tacceptable\tfluency\t", "field category: an unacceptable output names its category"),
    ("e001\tm\tZwei\tunacceptable\tstyle\t", "judged/de-DE.tsv, line 2, field category"),
    ("e001\tm\tZwei\tacceptable\t\t\ne001\tn\tZwei\tunacceptable\tfluency\t", "line 3: output 'Zwei' of e001 is judged both"),
])
def test_a_broken_judged_row_is_named_by_file_line_and_field(broken, row, message):
    (broken / "judged").mkdir(exist_ok=True)
    (broken / "judged" / "de-DE.tsv").write_text(JUDGED_HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(AdlocError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(broken)


def test_judged_outputs_are_found_by_locale_line_and_text(broken):
    (broken / "judged").mkdir(exist_ok=True)
    before = load(broken).digest
    (broken / "judged" / "de-DE.tsv").write_text(
        JUDGED_HEADER + "e001\tm1\tStarte den Tag mit Acme Kaffee\tacceptable\t\t\n"
        "e003\tm1\tKaffee und Donut\tunacceptable\taccuracy\tthe weekend is gone\n", encoding="utf-8")
    evalset = load(broken)
    assert evalset.digest != before  # a verdict changes the results: the set's digest says so
    assert evalset.judgement("de-DE", "e001", " Starte den Tag mit Acme Kaffee ").acceptable
    wrong = evalset.judgement("de-DE", "e003", "Kaffee und Donut")
    assert (wrong.acceptable, wrong.category, wrong.note) == (False, "accuracy", "the weekend is gone")
    assert evalset.judgement("de-DE", "e003", "Kaffee und Donut am Wochenende") is None
    assert evalset.judgement("fr-FR", "e001", "Starte den Tag mit Acme Kaffee") is None


def test_a_declared_register_reaches_the_checks_and_the_prompts(broken):
    from adloc.evals.evaluate import _checks, requests_for
    from adloc.models.copy_llm import build_messages
    from adloc.records import Formality

    _edit(broken / "set.yaml", "de-DE: informal", "de-de: informal")  # read as a BCP 47 tag
    evalset = load(broken)
    assert evalset.formality["de-DE"] is Formality.INFORMAL and evalset.formality["fr-FR"] is Formality.FORMAL
    [request] = requests_for(evalset, "de-DE", evalset.split("de-DE", "heldout")[:1])
    assert "Address the reader informally (du)." in build_messages(request)[0]["content"]
    register = {c.name: c for c in _checks(evalset, "de-DE", "Get yours", "Holen Sie sich Ihren", None)}["register"]
    assert not register.passed and "where the job asks for the informal register" in register.detail


@pytest.mark.parametrize(("value", "message"), [
    ("de-DE: casual", "set.yaml, field formality.de-DE"), ("xx-YY: formal", "set.yaml, field formality: unknown locale"),
])
def test_a_bad_register_is_named(broken, value, message):
    _edit(broken / "set.yaml", "de-DE: informal", value)
    with pytest.raises(AdlocError, match=message):
        load(broken)
