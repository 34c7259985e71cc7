"""Translators outside the tool: a job's waiting lines go out as XLIFF 2.0 (valid against the OASIS
core schema), come back translated and approve their items through the review service; a tampered
file is refused whole, naming the unit. The memory goes out and comes back as TMX 1.4b, byte-stable.
The fake copy model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree
from test_deliver import run_waiting, waiting  # noqa: F401 - the fixture

from adloc import xliff
from adloc.assets_db.engine import engine_for
from adloc.cli import main
from adloc.services import review

XSD = Path(os.environ.get("ADLOC_HOME", Path.home() / ".cache" / "adloc")) / "schemas" / "xliff-2.0" / "xliff_core_2.0.xsd"
X = "{urn:oasis:names:tc:xliff:document:2.0}"


def _schema() -> etree.XMLSchema:
    if not XSD.is_file():
        pytest.skip(f"no XLIFF 2.0 core schema at {XSD} (make schemas)")
    return etree.XMLSchema(etree.parse(str(XSD)))


def _export(db: str, job: int, locale: str, path: Path) -> etree._Element:
    assert main(["review", "export", "--job", str(job), "--locale", locale, "--out", str(path), "--db", db]) == 0
    return etree.parse(str(path)).getroot()


def _job(db: str, item: int) -> int:
    from sqlalchemy.orm import Session

    from adloc.assets_db.schema import JobItemRow

    with Session(engine_for(db)) as session:
        return session.get(JobItemRow, item).job_id


def _unit(root, uid: str):
    return root.find(f".//{X}unit[@id='{uid}']")


def test_the_writer_makes_valid_xliff_2_core_and_reads_it_back():
    schema = _schema()
    doc = xliff.Document(7, "spring", "fr-FR", (
        xliff.Unit(12, "cta", "Two for {price}, then {price}", "Deux pour {price}, puis {price}", xliff.State.TRANSLATED,
                   (xliff.Note("format", "at most 34 characters"), xliff.Note("check", "fails length (functional)")),
                   "model"),
        xliff.Unit(12, "headline", "Fresh coffee", None, xliff.State.INITIAL, (xliff.Note("origin", "no candidate"),)),
        xliff.Unit(13, "badge", "{n, plural, one {# cup} other {# cups}}", "{n, plural, one {# tasse} other {# tasses}}",
                   xliff.State.INITIAL)))
    data = xliff.write(doc)
    schema.assertValid(etree.fromstring(data))
    assert data == xliff.write(doc)  # the same document, the same bytes
    back = xliff.read(data, "t.xlf")
    assert (back.job, back.locale) == (7, "fr-FR")
    assert [(u.id, u.source, u.target, u.state) for u in back.units] == [
        (u.id, u.source, u.target, u.state) for u in doc.units]
    cta = etree.fromstring(data).find(f".//{X}unit[@id='i12.cta']")
    assert [ph.get("disp") for ph in cta.iter(f"{X}ph")] == ["{price}"] * 4  # inline codes, protected
    assert {ph.get("canDelete") for ph in cta.iter(f"{X}ph")} == {"no"}
    from adloc.errors import InvalidFields

    with pytest.raises(InvalidFields, match=r"unit i9999999999\.cta: not a unit adloc wrote"):  # no such row id
        xliff.read(data.replace(b'id="i12.cta"', b'id="i9999999999.cta"'), "t.xlf")
    # Entities are refused, never expanded nor dropped.
    bomb = data.replace(b"<xliff ", b'<!DOCTYPE xliff [<!ENTITY b "Deux">]><xliff ', 1).replace(b">Deux pour ", b">&b; pour ")
    with pytest.raises(xliff.XliffError, match="declares or uses an XML entity"):
        xliff.read(bomb.replace(b"<?xml version='1.0' encoding='UTF-8'?>\n", b""), "bomb.xlf")


def test_waiting_lines_go_out_as_xliff_and_a_translated_file_approves_its_items(waiting, tmp_path, capsys):  # noqa: F811
    db, out, items = waiting
    fr, de = items["fr-FR"], items["de-DE"]
    job = _job(db, fr)
    path = tmp_path / "fr.xlf"
    root = _export(db, job, "fr-FR", path)
    if XSD.is_file():
        _schema().assertValid(root)
    assert root.get("trgLang") == "fr-FR" and root.find(f"{X}file").get("original") == f"adloc:job/{job}"
    assert {u.get("id") for u in root.iter(f"{X}unit")} == {f"i{fr}.headline", f"i{fr}.cta"}  # no de-DE line
    cta = _unit(root, f"i{fr}.cta")
    segment = cta.find(f"{X}segment")
    # The model's line the gate held back: a candidate to confirm or correct, not a translation yet.
    assert segment.get("state") == "initial" and segment.get("subState") == "adloc:model"
    assert "".join(segment.find(f"{X}target").itertext()) == "Deux pour "
    assert segment.find(f"{X}target/{X}ph").get("disp") == "{price}"
    notes = [n.text for n in cta.iter(f"{X}note")]
    assert "at most 34 characters" in notes and any(n.startswith("waits because:") for n in notes)

    # The translator rewrites the headline and confirms the cta (a CAT tool marks both translated).
    _unit(root, f"i{fr}.headline").find(f"{X}segment/{X}target").text = "Un café frais tous les matins"
    for segment in root.iter(f"{X}segment"):
        segment.set("state", "translated")
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    capsys.readouterr()
    assert main(["review", "import", str(path), "--reviewer", "tess", "--db", db]) == 0
    said = capsys.readouterr().out
    assert "1 item approved" in said and "approved/c/summer-banner/fr-FR.json" in said
    approved = out / "approved" / "c" / "summer-banner"
    assert (approved / "fr-FR.png").is_file() and not (out / "review" / "c" / "summer-banner" / "fr-FR.png").exists()
    [decision] = review.history(engine_for(db), fr)
    assert (decision.reviewer, decision.face.value, decision.decision.value) == ("tess", "xliff", "edited")
    assert main(["review", "history", str(fr), "--db", db]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "edited by tess" in first and "via xliff: translated in" in first
    assert [e["item"] for e in review.pending(engine_for(db))] == [de]

    # The same file again changes nothing.
    before = (approved / "fr-FR.png").read_bytes()
    assert main(["review", "import", str(path), "--reviewer", "tess", "--db", db]) == 0
    assert "left as it is: item" in capsys.readouterr().out and (approved / "fr-FR.png").read_bytes() == before
    assert len(review.history(engine_for(db), fr)) == 1


def test_a_tampered_file_is_refused_whole_naming_the_unit(catalog_db, tmp_path, fake_copy_model, capsys):
    db, _, items = run_waiting(catalog_db, tmp_path, fake_copy_model, capsys)
    _, _, other = run_waiting(catalog_db, tmp_path, fake_copy_model, capsys, name="again")  # a second job run
    de, job = items["de-DE"], _job(db, items["de-DE"])
    clean = _export(db, job, "de-DE", tmp_path / "de.xlf")
    for u in clean.iter(f"{X}unit"):  # every unit translated: a clean file would approve the item
        u.find(f"{X}segment").set("state", "translated")

    def refused(change, expected: str) -> None:
        root = etree.fromstring(etree.tostring(clean))
        change(root)
        path = tmp_path / "tampered.xlf"
        path.write_bytes(etree.tostring(root))
        capsys.readouterr()
        assert main(["review", "import", str(path), "--reviewer", "tess", "--db", db]) == 2
        err = capsys.readouterr().err
        assert expected in err, err

    def edit_source(root):
        _unit(root, f"i{de}.headline").find(f"{X}segment/{X}source").text = "Fresh tea every morning"

    def drop_placeholder(root):
        target = _unit(root, f"i{de}.cta").find(f"{X}segment/{X}target")
        target.remove(target.find(f"{X}ph"))

    def foreign_unit(root):  # the other run's de-DE headline pasted in
        _unit(root, f"i{de}.headline").set("id", f"i{other['de-DE']}.headline")

    def another_locale(root):
        _unit(root, f"i{de}.headline").set("id", f"i{items['fr-FR']}.headline")

    def extra_placeholder(root):
        _unit(root, f"i{de}.cta").find(f"{X}segment/{X}target/{X}ph").tail = " {price}"

    def duplicated(root):  # the same unit twice, the second with another line
        twin = etree.fromstring(etree.tostring(_unit(root, f"i{de}.headline")))
        twin.find(f"{X}segment/{X}target").text = "Kaffee"
        root.find(f"{X}file").append(twin)

    def still_english(root):
        _unit(root, f"i{de}.headline").find(f"{X}segment/{X}target").text = "Fresh coffee every morning"

    def critical_check(root):  # a quantity the source does not have
        _unit(root, f"i{de}.headline").find(f"{X}segment/{X}target").text = "Frischer Kaffee, 2 Tassen jeden Morgen"

    refused(edit_source, f"unit i{de}.headline: the source was edited")
    refused(drop_placeholder, f"unit i{de}.cta: the target lacks the placeholder {{price}}")
    refused(foreign_unit, f"unit i{other['de-DE']}.headline: item {other['de-DE']} is not an item of job {job}")
    refused(another_locale, f"unit i{items['fr-FR']}.headline: item {items['fr-FR']} is fr-FR")
    refused(extra_placeholder, f"unit i{de}.cta: the target has the placeholder {{price}}, which the source has not")
    refused(duplicated, f"unit i{de}.headline: given twice")
    refused(still_english, f"unit i{de}.headline: the target is still the English source")
    refused(critical_check, f"unit i{de}.headline: 'Frischer Kaffee, 2 Tassen jeden Morgen' fails the numbers check")
    path = tmp_path / "clean.xlf"
    path.write_bytes(etree.tostring(clean))
    assert main(["review", "import", str(path), "--job", str(job + 1), "--db", db]) == 2
    assert f"this file is for job {job}, not job {job + 1}" in capsys.readouterr().err
    assert review.history(engine_for(db), de) == []  # nothing was decided by any of them

    # A unit still initial (untranslated) leaves its item waiting.
    root = etree.fromstring(etree.tostring(clean))
    _unit(root, f"i{de}.headline").find(f"{X}segment").set("state", "initial")
    (tmp_path / "half.xlf").write_bytes(etree.tostring(root))
    assert main(["review", "import", str(tmp_path / "half.xlf"), "--reviewer", "tess", "--db", db]) == 0
    said = capsys.readouterr().out
    assert "0 items approved" in said and f"still waiting (not translated): i{de}.headline" in said
    assert review.history(engine_for(db), de) == []
    # Without --locale, one file per locale into a folder.
    assert main(["review", "export", "--job", str(job), "--out", str(tmp_path / "all"), "--db", db]) == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [f"job-{job}.de-DE.xlf", f"job-{job}.fr-FR.xlf"]

    assert main(["review", "import", str(path), "--job", str(job), "--reviewer", "tess", "--db", db]) == 0
    assert [d.face.value for d in review.history(engine_for(db), de)] == ["xliff"]


def test_the_sample_memory_round_trips_through_tmx_byte_for_byte(catalog, tmp_path, capsys):
    first, again = tmp_path / "a.tmx", tmp_path / "b.tmx"
    assert main(["tm", "export", "--out", str(first), "--db", catalog]) == 0
    data = first.read_bytes()
    root = etree.fromstring(data)
    assert root.get("version") == "1.4" and root.find("header").get("srclang") == "en-US"
    assert "20 lines" in capsys.readouterr().out  # every line of examples/catalog/tm.yaml
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main(["tm", "import", str(first), "--db", fresh]) == 0
    assert "20 added, 0 replaced, 0 unchanged" in capsys.readouterr().out
    assert main(["tm", "export", "--out", str(again), "--db", fresh]) == 0
    assert again.read_bytes() == data
    assert main(["tm", "import", str(first), "--db", catalog]) == 0
    assert "0 added, 0 replaced, 20 unchanged" in capsys.readouterr().out


def test_a_tmx_file_from_another_system_comes_in_and_bad_units_refuse_it(catalog_db, tmp_path, capsys):
    from adloc.assets_db.queries import translation_memory

    outside = b"""<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="X" creationtoolversion="1" segtype="sentence" o-tmf="x"
 adminlang="en" srclang="EN-US" datatype="plaintext"/>
<body>
 <tu tuid="a"><tuv xml:lang="EN-US"><seg>Order now for <ph x="1">{price}</ph></seg></tuv>
  <tuv xml:lang="fr-fr"><seg>Commandez vite pour <ph x="1">{price}</ph></seg></tuv></tu>
 <tu tuid="b"><tuv xml:lang="en-US"><seg>Cold brew, <hi>all summer</hi></seg></tuv>
  <tuv xml:lang="de-DE"><seg>Cold Brew, den ganzen Sommer</seg></tuv></tu>
</body></tmx>"""
    path = tmp_path / "outside.tmx"
    path.write_bytes(outside)
    assert main(["tm", "import", str(path), "--db", catalog_db]) == 0
    assert "1 added, 1 replaced, 0 unchanged" in capsys.readouterr().out
    memory = translation_memory(engine_for(catalog_db), {"fr-FR", "de-DE"})
    assert memory["fr-FR"]["order now for {price}"].target == "Commandez vite pour {price}"
    assert memory["de-DE"]["cold brew, all summer"].target == "Cold Brew, den ganzen Sommer"

    # Placeholders pair by name: a line that reorders them keeps each one's number.
    from adloc import tmx

    written = tmx.write([tmx.Entry("{a} then {b}", "de-DE", "{b}, dann {a}")])
    assert b'<seg><ph x="2" type="x-placeholder">{b}</ph>, dann <ph x="1" type="x-placeholder">{a}</ph></seg>' in written
    assert main(["tm", "import", str(path), "--locale", "de-DE", "--db", catalog_db]) == 0  # only de-DE's lines
    assert "0 added, 0 replaced, 1 unchanged (de-DE only)" in capsys.readouterr().out
    german = outside.replace(b'srclang="EN-US"', b'srclang="de-DE"')
    path.write_bytes(german)
    assert main(["tm", "import", str(path), "--db", catalog_db]) == 2
    assert "header srclang 'de-DE': the memory maps English source lines" in capsys.readouterr().err

    bad = outside.replace(b'xml:lang="fr-fr"', b'xml:lang="fr"').replace(b"<seg>Cold Brew, den ganzen Sommer</seg>", b"<seg> </seg>")
    path.write_bytes(bad)
    assert main(["tm", "import", str(path), "--db", catalog_db]) == 2
    err = capsys.readouterr().err
    assert "tu 1 (tuid a): xml:lang 'fr'" in err and "tu 2 (tuid b): de-DE: the line is empty" in err
    path.write_bytes(bad.replace(b"<seg> </seg>", b"<seg>Cold Brew den Sommer lang</seg>"))
    assert main(["tm", "import", str(path), "--locale", "de-DE", "--db", catalog_db]) == 0  # fr's problem is not de-DE's
    assert "0 added, 1 replaced, 0 unchanged (de-DE only)" in capsys.readouterr().out
