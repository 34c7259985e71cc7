"""The asset database, on SQLite and on PostgreSQL: every test here runs once per engine (the `db`
and `catalog` fixtures), each in a database or schema of its own."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, RUN_DATE, write_job
from PIL import Image
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from adloc.assets_db.catalog import CatalogError, import_catalog, import_talent, import_templates
from adloc.assets_db.engine import SchemaError, engine_for, head_revision
from adloc.assets_db.lineage import list_talent, revoke, usage
from adloc.assets_db.queries import choose_talent, eligible_talent, talent_rights_overview
from adloc.assets_db.schema import (
    Base,
    JobItemRow,
    JobRow,
    OutputRow,
    RightRow,
    TalentImageRow,
    TalentRow,
    TalentTagRow,
    TemplateSlotRow,
)
from adloc.cli import main
from adloc.errors import AdlocError, NotFound

ON = date(2026, 11, 27)


def ids(talent) -> list[str]:
    return [t.id for t in talent]


def counts(url: str) -> dict[str, int]:
    with Session(engine_for(url)) as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t))
                for t in (TalentRow, TalentImageRow, TalentTagRow, RightRow)}


# --- schema and migrations ---------------------------------------------------------------------

def test_migrations_build_exactly_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = engine_for(db)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_nothing_and_back(db):
    from alembic import command

    from adloc.assets_db.engine import _config, current_revision, upgrade

    engine = engine_for(db)
    with engine.begin() as conn:
        command.downgrade(_config(conn), "base")
    assert current_revision(engine) is None
    assert upgrade(engine) == (None, head_revision())


def test_a_postgres_schema_that_is_behind_says_what_to_run(capsys):
    from conftest import pg_schema_url

    url, drop = pg_schema_url(migrate=False)
    try:
        with pytest.raises(SchemaError, match=r"run `adloc db upgrade --db URL`"):
            engine_for(url)
        assert main(["assets", "list", "--db", url]) == 2
        assert "adloc db upgrade" in capsys.readouterr().err
        assert main(["db", "upgrade", "--db", url]) == 0
        assert f"empty -> {head_revision()}" in capsys.readouterr().out
        assert list_talent(engine_for(url)) == []
        assert main(["db", "upgrade", "--db", url]) == 0
        assert "already at" in capsys.readouterr().out
    finally:
        drop()


def test_a_sqlite_file_from_before_migrations_is_refused_not_rebuilt(tmp_path):
    from sqlalchemy import create_engine

    path = tmp_path / "old.db"
    legacy = create_engine(f"sqlite:///{path}")
    with legacy.begin() as conn:
        conn.execute(text("CREATE TABLE talent (id VARCHAR PRIMARY KEY, name VARCHAR)"))
        conn.execute(text("INSERT INTO talent VALUES ('kept', 'Kept')"))
    legacy.dispose()
    with pytest.raises(SchemaError, match="no migration history"):
        engine_for(f"sqlite:///{path}")
    check = create_engine(f"sqlite:///{path}")
    with check.connect() as conn:  # the old data is still there
        assert conn.execute(text("SELECT name FROM talent")).scalar() == "Kept"
    check.dispose()


# --- lookup ------------------------------------------------------------------------------------

def test_only_active_rights_in_window_for_region_and_channel(catalog):
    eligible = eligible_talent(engine_for(catalog), {"DE", "FR", "PT"}, "social", ON)
    assert ids(eligible["DE"]) == ["de-jonas", "de-lena"]  # expired Mia and revoked Paul excluded
    assert ids(eligible["FR"]) == ["fr-chloe", "fr-hugo"]
    # Eileen is American, licensed for Portugal as well: rights, not the talent's region, decide
    assert ids(eligible["PT"]) == ["pt-ana", "pt-joao", "us-eileen"]
    assert eligible["PT"][0].image_uri.endswith(".png") and Path(eligible["PT"][0].image_uri).is_file()


def test_channel_restricts_rights(catalog):
    eligible = eligible_talent(engine_for(catalog), {"FR"}, "display", ON)  # Hugo: social only
    assert ids(eligible["FR"]) == ["fr-chloe"]


def test_rights_granted_for_other_regions_count_there_only(catalog):
    eligible = eligible_talent(engine_for(catalog), {"ES", "AT", "MX"}, "social", ON)
    assert ids(eligible["ES"]) == ["pt-joao"]
    assert ids(eligible["AT"]) == ["de-lena"]
    assert "pt-joao" not in ids(eligible["MX"])


def test_consent_window_is_checked_against_the_run_date(catalog):
    engine = engine_for(catalog)
    assert ids(eligible_talent(engine, {"DE"}, "social", date(2025, 6, 1))["DE"]) == ["de-mia-expired"]
    assert ids(eligible_talent(engine, {"DE"}, "social", date(2030, 12, 31))["DE"]) == ["de-jonas", "de-lena"]
    assert eligible_talent(engine, {"DE"}, "social", date(2031, 1, 1))["DE"] == []


def test_choice_is_deterministic_and_honours_tags(catalog):
    candidates = eligible_talent(engine_for(catalog), {"DE"}, "social", ON)["DE"]
    assert {choose_talent(candidates, (), seed).id for seed in range(20)} == {"de-jonas", "de-lena"}
    assert [choose_talent(candidates, (), seed).id for seed in (3, 4)] == ["de-lena", "de-jonas"]
    assert choose_talent(candidates, ("casual",), 7).id == "de-jonas"
    assert choose_talent(candidates, ("smiling",), 7) is None  # only the expired Mia is tagged smiling


def test_overview_and_lookup_agree_and_say_why(catalog):
    engine = engine_for(catalog)
    regions = {"DE", "FR", "PT", "ES", "AT"}
    for on in (date(2025, 6, 1), ON, date(2031, 1, 1)):
        overview = talent_rights_overview(engine, regions, "social", on)
        eligible = eligible_talent(engine, regions, "social", on)
        assert {(r["region"], r["talent"]) for r in overview if r["eligible"]} == {
            (region, t.id) for region, talent in eligible.items() for t in talent}
    rows = {r["talent"]: r for r in talent_rights_overview(engine, {"DE"}, "social", ON)}
    assert rows["de-mia-expired"]["reason"] == "consent expired 2025-12-31"
    assert rows["de-paul-revoked"]["reason"] == "rights revoked"
    assert rows["de-lena"] == {**rows["de-lena"], "eligible": True, "reason": "eligible"}


def test_a_revoked_talent_leaves_every_lookup(catalog):
    engine = engine_for(catalog)
    result = revoke(engine, "de-lena", "model withdrew consent")
    assert (result["already_revoked"], result["reason"], result["outputs"]) == (False, "model withdrew consent", [])
    assert ids(eligible_talent(engine, {"DE", "AT"}, "social", ON)["DE"]) == ["de-jonas"]
    assert eligible_talent(engine, {"AT"}, "social", ON)["AT"] == []
    rows = {r["talent"]: r for r in talent_rights_overview(engine, {"DE"}, "social", ON)}
    assert rows["de-lena"]["reason"] == "talent revoked"
    again = revoke(engine, "de-lena", "again")
    assert (again["already_revoked"], again["reason"], again["revoked_at"]) == (True, "model withdrew consent",
                                                                               result["revoked_at"])
    with pytest.raises(NotFound):
        revoke(engine, "nobody", "why")
    with pytest.raises(AdlocError, match="reason: say why the talent is revoked"):
        revoke(engine, "de-jonas", "  ")


HOSTILE = ["DE' OR '1'='1", "x'); DROP TABLE talent; --", 'a" OR ""="', "%", "_", "\\", "de-%"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_strings_are_parameters_not_sql(catalog, hostile):
    engine = engine_for(catalog)
    before = counts(catalog)
    assert eligible_talent(engine, {hostile}, "social", ON) == {hostile: []}
    assert eligible_talent(engine, {"DE"}, hostile, ON) == {"DE": []}
    assert talent_rights_overview(engine, {hostile}, hostile, ON) == []
    with pytest.raises(NotFound, match="is not in the asset database"):  # matched as a value, not as SQL
        usage(engine, hostile)
    assert list_talent(engine, region=hostile, status=hostile) == []
    with pytest.raises(NotFound):
        revoke(engine, hostile, "reason")
    assert counts(catalog) == before
    assert ids(eligible_talent(engine, {"DE"}, "social", ON)["DE"]) == ["de-jonas", "de-lena"]


def test_hostile_tags_and_names_are_stored_and_matched_verbatim(db, tmp_path):
    tag = "barista'); DROP TABLE talent; --"
    shutil.copy(EXAMPLES / "talent" / "pt-ana.png", tmp_path / "ana.png")
    (tmp_path / "talent.yaml").write_text(yaml.safe_dump({"talent": [
        {"id": "pt-bobby", "name": "Robert'); DROP TABLE talent;--", "region": "PT", "image": "ana.png",
         "tags": [tag, "50%_off"], "rights": [{"regions": ["PT"], "channels": ["social"],
                                              "consent": ["2026-01-01", "2030-12-31"]}]},
    ]}))
    assert import_talent(engine_for(db), tmp_path / "talent.yaml") == 1
    candidates = eligible_talent(engine_for(db), {"PT"}, "social", ON)["PT"]
    assert choose_talent(candidates, (tag,), 1).name == "Robert'); DROP TABLE talent;--"
    assert choose_talent(candidates, ("50%_off",), 1).id == "pt-bobby"
    assert choose_talent(candidates, ("50%",), 1) is None
    assert counts(db)["talent"] == 1


# --- imports -----------------------------------------------------------------------------------

def _catalog_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "cat"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("jobs"))
    return folder


def test_yaml_errors_name_file_row_and_field_and_store_nothing(catalog, tmp_path):
    folder = _catalog_copy(tmp_path)
    talent_file = folder / "catalog" / "talent.yaml"
    data = yaml.safe_load(talent_file.read_text())
    data["talent"][0]["name"] = "Ana Changed"  # a good change that must not land either
    data["talent"][3]["rights"][0]["channels"] = ["social", "tv"]
    data["talent"][4]["region"] = "XX"
    data["talent"][5]["rights"][0]["consent"] = ["2027-01-01", "2026-01-01"]
    talent_file.write_text(yaml.safe_dump(data, allow_unicode=True))
    before = counts(catalog)
    with pytest.raises(CatalogError) as caught:
        import_talent(engine_for(catalog), talent_file)
    errors = caught.value.errors
    assert any(e.startswith(f"{talent_file}: talent[3].rights[0].channels[1]:") and "'tv'" in e for e in errors)
    assert any(e.startswith(f"{talent_file}: talent[4].region:") and "'XX' is not an ISO 3166 region" in e
               for e in errors)
    assert any(e.startswith(f"{talent_file}: talent[5].rights[0]:") and "after it ends" in e for e in errors)
    assert counts(catalog) == before
    with Session(engine_for(catalog)) as session:
        assert session.get(TalentRow, "pt-ana").name == "Ana"


def _csv(path: Path, rows: list[str]) -> Path:
    header = "id,name,region,image,tags,regions,channels,consent_start,consent_end,status,credit"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_csv_import_merges_rights_and_reads_images_from_the_images_folder(db, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(EXAMPLES / "talent" / "pt-ana.png", photos / "ana.png")
    shutil.copy(EXAMPLES / "talent" / "fr-hugo.png", photos / "hugo.png")
    sheet = _csv(tmp_path / "talent.csv", [
        "pt-ana,Ana,PT,ana.png,barista|smiling,PT|ES,social|display,2026-01-01,2030-12-31,active,Ana M.",
        "pt-ana,Ana,PT,ana.png,barista|smiling,FR,print,2027-01-01,2027-12-31,,",
        "fr-hugo,Hugo,FR,hugo.png,casual,FR,social,2026-01-01,2026-06-30,,",
    ])
    assert main(["assets", "import", str(sheet), "--images", str(photos), "--db", db]) == 0
    engine = engine_for(db)
    assert ids(eligible_talent(engine, {"ES"}, "display", ON)["ES"]) == ["pt-ana"]
    assert ids(eligible_talent(engine, {"FR"}, "print", date(2027, 3, 1))["FR"]) == ["pt-ana"]
    assert eligible_talent(engine, {"FR"}, "social", ON)["FR"] == []  # Hugo's consent ended in June
    with Session(engine) as session:
        ana = session.get(TalentRow, "pt-ana")
        assert sorted(t.tag for t in ana.tags) == ["barista", "smiling"]
        assert len(ana.rights) == 5 and {r.credit for r in ana.rights} == {"Ana M.", ""}
        image = ana.images[0]
        assert image.source == str(photos / "ana.png") and image.has_alpha
        assert Path(image.uri).is_file() and image.uri.endswith(f"{image.sha256}.png")


def test_csv_errors_name_the_row_and_column(db, tmp_path, capsys):
    shutil.copy(EXAMPLES / "talent" / "pt-ana.png", tmp_path / "ana.png")
    sheet = _csv(tmp_path / "talent.csv", [
        "pt-ana,Ana,PT,ana.png,,PT,social,2026-01-01,2030-12-31,,",
        "pt-ana,Anna,PT,ana.png,,DE,social,2026-01-01,2030-12-31,,",
        "de-x,X,DE,ana.png,,DE|QQ,social,2026-01-01,2030-12-31,,",
        "de-y,Y,DE,ana.png,,DE,radio,2026-01-01,2030-12-31,,",
        "de-z,Z,DE,ana.png,,DE,social,2026-01-01,2026-13-01,,",
        "bad id!,W,DE,ana.png,,DE,social,2026-01-01,2030-12-31,,",
    ])
    assert main(["assets", "import", str(sheet), "--db", db]) == 2
    err = capsys.readouterr().err
    assert f"{sheet}: row 3, field name: 'Anna' differs from row 2" in err
    assert f"{sheet}: row 4, field regions:" in err and "'QQ' is not an ISO 3166 region" in err
    assert f"{sheet}: row 5, field channels:" in err and "'radio'" in err
    assert f"{sheet}: row 6, field consent_end:" in err and "'2026-13-01'" in err
    assert f"{sheet}: row 7, field id:" in err and "'bad id!'" in err
    assert counts(db)["talent"] == 0
    unknown = _csv(tmp_path / "cols.csv", [])
    unknown.write_text("id,name,region,image,regions,channels,consent_start,consent_end,colour\n")
    assert main(["assets", "import", str(unknown), "--db", db]) == 2
    assert f"{unknown}: row 1, column 'colour': unknown column" in capsys.readouterr().err


def test_a_bad_image_refuses_the_whole_import(catalog, tmp_path, capsys):
    folder = _catalog_copy(tmp_path)
    (folder / "talent" / "de-lena.png").write_bytes((EXAMPLES / "talent" / "de-lena.png").read_bytes()[:400])
    (folder / "talent" / "fr-hugo.png").write_text("not a picture")
    talent_file = folder / "catalog" / "talent.yaml"
    before = counts(catalog)
    assert main(["assets", "import", str(talent_file), "--db", catalog]) == 2
    err = capsys.readouterr().err
    assert f"{talent_file}: talent[2].image: {folder / 'talent' / 'de-lena.png'}: truncated or corrupt image" in err
    assert f"{talent_file}: talent[7].image: {folder / 'talent' / 'fr-hugo.png'}: not an image file" in err
    assert counts(catalog) == before


def test_reimport_updates_talent_but_never_undoes_a_takedown(catalog):
    engine = engine_for(catalog)
    revoke(engine, "pt-ana", "contract ended")
    import_catalog(engine, EXAMPLES)
    with Session(engine) as session:
        ana = session.get(TalentRow, "pt-ana")
        assert (ana.status, ana.revoked_reason) == ("revoked", "contract ended")
    assert ids(eligible_talent(engine, {"PT"}, "social", ON)["PT"]) == ["pt-joao", "us-eileen"]


def test_a_renewed_consent_is_a_second_right_not_a_conflict(db, tmp_path):
    folder = _catalog_copy(tmp_path)
    talent_file = folder / "catalog" / "talent.yaml"
    data = yaml.safe_load(talent_file.read_text())
    mia = next(t for t in data["talent"] if t["id"] == "de-mia-expired")
    mia["rights"].append({"regions": ["DE"], "channels": ["social"], "consent": ["2026-06-01", "2027-05-31"]})
    talent_file.write_text(yaml.safe_dump(data, allow_unicode=True))
    import_catalog(engine_for(db), folder)
    assert "de-mia-expired" in ids(eligible_talent(engine_for(db), {"DE"}, "social", ON)["DE"])


def test_templates_import_stores_the_slots_and_checks_the_image(db, tmp_path, capsys):
    assert main(["templates", "import", str(EXAMPLES / "templates" / "summer-banner.yaml"), "--db", db]) == 0
    with Session(engine_for(db)) as session:
        slots = {s.name: (s.kind, s.x, s.y, s.width, s.height, s.max_chars)
                 for s in session.scalars(select(TemplateSlotRow).where(TemplateSlotRow.template_id == "summer-banner"))}
    assert slots["cta"] == ("text", 70, 455, 380, 100, 34)
    assert slots["talent"][0] == "talent" and set(slots) == {"talent", "headline", "cta"}
    folder = _catalog_copy(tmp_path)
    spec = folder / "templates" / "morning-square.yaml"
    spec.write_text(spec.read_text().replace("size: [1080, 1080]", "size: [1080, 1920]")
                    .replace("box: [670, 895, 340, 100]", "box: [670, 895, 340, 100]"))
    with pytest.raises(CatalogError, match=r"morning-square\.yaml: size: \[1080, 1920\] but the image"):
        import_templates(engine_for(db), [spec])
    twin = folder / "templates" / "twin.yaml"
    twin.write_text((EXAMPLES / "templates" / "summer-banner.yaml").read_text())
    assert main(["templates", "import", str(folder / "templates" / "summer-banner.yaml"), str(twin), "--db", db]) == 2
    assert "id: 'summer-banner' is also the id of" in capsys.readouterr().err


def test_list_filters_by_region_status_and_expiry(catalog, capsys):
    engine = engine_for(catalog)
    assert [r["id"] for r in list_talent(engine, region="AT", on=ON)] == ["de-lena"]
    revoke(engine, "pt-joao", "withdrawn")
    revoked = list_talent(engine, status="revoked", on=ON)
    assert [(r["id"], r["revoked_reason"], r["usable_in"]) for r in revoked] == [("pt-joao", "withdrawn", [])]
    assert list_talent(engine, expiring_within=30, on=ON) == []
    soon = list_talent(engine, expiring_within=30, on=date(2030, 12, 15))
    assert "pt-joao" not in [r["id"] for r in soon] and "pt-ana" in [r["id"] for r in soon]
    assert all(r["ends_on"] == date(2030, 12, 31) for r in soon)
    assert main(["assets", "list", "--db", catalog, "--region", "DE", "--on", "2026-11-27", "--json"]) == 0
    listed = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(listed) == {"de-jonas", "de-lena", "de-mia-expired", "de-paul-revoked"}
    assert listed["de-mia-expired"]["usable_in"] == [] and listed["de-lena"]["usable_in"] == ["AT", "DE"]


# --- the pipeline against the database -------------------------------------------------------
# Every line of these jobs is a translation-memory hit; the fake copy model stands in for the
# embedded one, which would only be loaded.

def _job(creatives: int, locales: list[str], tags: list[str] | None = None) -> dict:
    return {
        "job": "db-job", "brand": "Acme Coffee", "channel": "social", "locales": locales, "keep_terms": ["Acme"],
        "creatives": [{"id": f"c{i:02d}", "template": "summer-banner", "copy": {"cta": "Order now for {price}"},
                       "values": {"price": 2.5}, **({"talent": {"tags": tags}} if tags else {})}
                      for i in range(creatives)],
    }


def _run(tmp_path: Path, db: str, spec: dict, name: str, out: Path | None = None) -> tuple[Path, list[dict]]:
    job = write_job(tmp_path / f"{name}.yaml", spec)
    out = out or tmp_path / name
    assert main(["run", str(job), "--out", str(out), "--db", db, "--run-date", RUN_DATE]) == 0
    return out, [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_statements_per_job_do_not_grow_with_items(catalog, tmp_path, fake_copy_model):
    engine = engine_for(catalog)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_):
        statements.append(statement)
        lookups.append("talent_right" in statement and statement.lstrip().startswith("SELECT DISTINCT"))

    lookups: list[bool] = []

    event.listen(engine, "before_cursor_execute", count)
    try:
        runs = {}
        for creatives in (1, 4):  # 4 and 16 items (the benchmark counts 4, 40 and 400)
            statements.clear()
            _, lines = _run(tmp_path, catalog, _job(creatives, ["pt-PT", "de-DE", "fr-FR", "es-MX"]), f"n{creatives}")
            runs[len(lines)] = (len(statements), [s.split()[0] for s in statements])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sum(lookups) == 2  # the eligibility query ran once per job, in this process, and was counted
    assert set(runs) == {4, 16}
    assert runs[4] == runs[16], "\n".join(statements)
    # The champion gate is read twice (checked, then used); the shadows and tightenings once each.
    assert runs[4][0] <= 21, "\n".join(statements)
    kinds = runs[4][1]
    assert "SELECT" in kinds and "INSERT" in kinds  # the lookups and the lineage were both counted
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(JobItemRow)) == 20
        assert session.scalar(select(func.count()).select_from(JobRow)) == 2


def test_takedown_usage_lists_outputs_and_reruns_never_use_the_talent(catalog, tmp_path, capsys, fake_copy_model):
    spec = _job(1, ["de-DE", "pt-PT"], tags=["barista"])
    out, lines = _run(tmp_path, catalog, spec, "first")
    de = next(line for line in lines if line["locale"] == "de-DE")
    first_pick = de["talent"]
    other = ({"de-lena", "de-jonas"} - {first_pick}).pop()
    published = usage(engine_for(catalog), first_pick)
    assert [(u["job"], u["creative"], u["locale"], u["uri"], u["run_date"]) for u in published] == [
        ("db-job", "c00", "de-DE", de["uri"], RUN_DATE)]

    assert main(["assets", "usage", first_pick, "--db", catalog]) == 0
    assert de["uri"] in capsys.readouterr().out
    assert main(["assets", "revoke", first_pick, "--reason", "consent withdrawn", "--db", catalog]) == 0
    said = capsys.readouterr().out
    assert "is now revoked" in said and de["uri"] in said

    _, lines = _run(tmp_path, catalog, spec, "first", out=out)
    de = next(line for line in lines if line["locale"] == "de-DE")
    assert de["talent"] == other
    assert usage(engine_for(catalog), first_pick) == []
    assert [u["uri"] for u in usage(engine_for(catalog), other)] == [de["uri"]]

    revoke(engine_for(catalog), other, "consent withdrawn")
    _, lines = _run(tmp_path, catalog, spec, "first", out=out)
    de = next(line for line in lines if line["locale"] == "de-DE")
    assert de["status"] == "dead_letter" and de["talent"] is None
    assert de["reason"] == f"no licensed talent tagged barista for region DE, channel social, on {RUN_DATE}"
    assert usage(engine_for(catalog), other) == []
    assert not list(out.glob("*/c00/summer-banner/de-DE.png"))
    with Session(engine_for(catalog)) as session:
        rows = session.scalars(select(OutputRow.locale)).all()
    assert rows == ["pt-PT"]  # one row per published file, replaced on every rerun


def test_usage_of_an_unknown_talent_exits_2(catalog, capsys):
    assert main(["assets", "usage", "nobody", "--db", catalog]) == 2
    assert "talent 'nobody' is not in the asset database" in capsys.readouterr().err


def test_images_are_normalized_once_into_the_store(catalog, asset_store):
    with Session(engine_for(catalog)) as session:
        images = session.scalars(select(TalentImageRow)).all()
    assert len(images) == 17
    for image in images:
        assert image.uri.startswith(str(asset_store))
        with Image.open(image.uri) as picture:  # the drawn cutouts keep their alpha; the photograph has none
            assert picture.mode == ("RGB" if image.talent_id == "us-eileen" else "RGBA"), image.talent_id
            assert picture.mode == ("RGBA" if image.has_alpha else "RGB") and picture.size == (image.width, image.height)


WIDER_NAMES = ('    with op.batch_alter_table("talent") as batch:\n'
               '        batch.alter_column("name", type_=sa.String(400), existing_type=sa.String(200))\n')


def _with_migration(tmp_path: Path, upgrade_body: str) -> Path:
    """The project's migrations plus a later revision "test" whose upgrade() is `upgrade_body`."""
    from adloc.assets_db.engine import MIGRATIONS

    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_test.py").write_text(
        '"""A later revision, for the test."""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "test"\ndown_revision = "{head_revision()}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        f"def upgrade():\n{upgrade_body}\n\n"
        "def downgrade():\n    pass\n")
    return scripts


def test_a_batch_migration_keeps_every_child_row(db, tmp_path):
    """SQLite alters a table by copying it and dropping the old one: with foreign keys on, that
    drop would cascade to every right, tag and image. A later migration must keep them all."""
    from adloc.assets_db.engine import _new_engine, current_revision, upgrade

    import_catalog(engine_for(db), EXAMPLES)
    before = counts(db)
    scripts = _with_migration(tmp_path, WIDER_NAMES)
    engine = _new_engine(db)
    assert upgrade(engine, script_location=scripts) == (head_revision(), "test")
    assert current_revision(engine) == "test"
    assert counts(db) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_migrations_and_models_have_the_same_check_constraints(db):
    """compare_metadata does not look at CHECK constraints: the allowed channels and statuses."""
    import re

    from sqlalchemy import inspect

    inspector = inspect(engine_for(db))
    for table in Base.metadata.sorted_tables:
        def literals(sql: str) -> frozenset[str]:
            return frozenset(re.findall(r"'([^']*)'", sql))

        wanted = {c.name: literals(str(c.sqltext)) for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        found = {c["name"]: literals(c["sqltext"]) for c in inspector.get_check_constraints(table.name)}
        assert found == wanted, table.name


def test_the_choice_does_not_depend_on_the_database_collation(db, tmp_path):
    """The seeded choice indexes the eligible list: its order must be the same on every engine."""
    engine = engine_for(db)
    if engine.dialect.name == "postgresql":  # sort talent ids by ICU rules, as many servers do
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_collation WHERE collname = 'en-US-x-icu'")).first():
                pytest.skip("this PostgreSQL server has no ICU collations")
        with engine.begin() as conn:
            conn.execute(text('ALTER TABLE talent ALTER COLUMN id TYPE VARCHAR(64) COLLATE "en-US-x-icu"'))
    shutil.copy(EXAMPLES / "talent" / "pt-ana.png", tmp_path / "ana.png")
    people = ["pt_a", "pt-Ana", "pt-b", "PT-c", "pt-B2"]
    (tmp_path / "talent.yaml").write_text(yaml.safe_dump({"talent": [
        {"id": i, "name": i, "region": "PT", "image": "ana.png",
         "rights": [{"regions": ["PT"], "channels": ["social"], "consent": ["2026-01-01", "2030-12-31"]}]}
        for i in people]}))
    import_talent(engine, tmp_path / "talent.yaml")
    eligible = eligible_talent(engine, {"PT"}, "social", ON)["PT"]
    assert ids(eligible) == sorted(people) == ["PT-c", "pt-Ana", "pt-B2", "pt-b", "pt_a"]
    assert [choose_talent(eligible, (), seed).id for seed in range(5)] == sorted(people)
    assert [r["id"] for r in list_talent(engine, on=ON)] == sorted(people)


def test_reimport_never_writes_a_talent_status(catalog):
    """The import updates talent in place and leaves status alone, so a revoke that commits while
    an import runs is not undone by it."""
    engine = engine_for(catalog)
    statements: list[str] = []
    listener = lambda _c, _cur, statement, *_: statements.append(statement)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        import_catalog(engine, EXAMPLES)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    writes = [s for s in statements if s.lstrip().upper().startswith(("UPDATE TALENT ", "DELETE FROM TALENT "))]
    assert writes == []
    assert any(s.lstrip().upper().startswith("SELECT") and "FOR UPDATE" in s.upper() for s in statements) == (
        engine.dialect.name == "postgresql")


def test_duplicate_windows_and_non_country_regions_are_refused(db, tmp_path):
    shutil.copy(EXAMPLES / "talent" / "pt-ana.png", tmp_path / "ana.png")
    right = {"regions": ["DE"], "channels": ["social"], "consent": ["2026-01-01", "2030-12-31"]}
    path = tmp_path / "talent.yaml"
    path.write_text(yaml.safe_dump({"talent": [
        {"id": "a", "name": "A", "region": "DE", "image": "ana.png", "rights": [right, {**right, "status": "revoked"}]},
        {"id": "b", "name": "B", "region": "EU", "image": "ana.png", "rights": [{**right, "regions": ["UN"]}]},
    ]}))
    with pytest.raises(CatalogError) as caught:
        import_talent(engine_for(db), path)
    text_ = "\n".join(caught.value.errors)
    assert f"{path}: talent[0]: rights[1] grants DE, social from 2026-01-01 again (already in rights[0])" in text_
    assert f"{path}: talent[1].region: 'EU' is not an ISO 3166 region" in text_
    assert f"{path}: talent[1].rights[0].regions[0]: 'UN' is not an ISO 3166 region" in text_
    sheet = _csv(tmp_path / "talent.csv", [
        "a,A,DE,ana.png,,DE,social,2026-01-01,2030-12-31,,",
        "a,A,DE,ana.png,,DE|AT,social,2026-01-01,2027-12-31,,",
    ])
    with pytest.raises(CatalogError, match=r"talent\.csv: row 2: row 3 grants DE, social from 2026-01-01 again "
                                           r"\(already in row 2\)"):
        import_talent(engine_for(db), sheet)
    assert counts(db)["talent"] == 0


def test_memory_and_glossary_are_validated_entry_by_entry(db, tmp_path):
    folder = _catalog_copy(tmp_path)
    tm, glossary = folder / "catalog" / "tm.yaml", folder / "catalog" / "glossary.yaml"
    tm.write_text(yaml.safe_dump({
        "pt-PT": [{"source": "Order now", "target": "Encomende já"}, {"source": "order  NOW", "target": "Peça já"},
                  {"source": 42, "target": "x"}, {"source": "x" * 600, "target": "y"}],
        "xx-Nowhere": [{"source": "a", "target": "b"}],
    }, allow_unicode=True))
    glossary.write_text(yaml.safe_dump({"de-DE": {"keep": "Acme", "required": ["Kaffee"], "maybe": []}}))
    with pytest.raises(CatalogError) as caught:
        import_catalog(engine_for(db), folder)
    text_ = "\n".join(caught.value.errors)
    assert f"{tm}: pt-PT[2].source: Input should be a valid string (got 42)" in text_
    assert f"{tm}: pt-PT[3]: source is longer than 512 characters once normalized" in text_
    assert f"{tm}: xx-Nowhere: unknown locale 'xx-Nowhere'" in text_
    assert f"{glossary}: de-DE.keep: Input should be a valid list (got 'Acme')" in text_
    assert f"{glossary}: de-DE.required: Input should be a valid dictionary" in text_
    assert f"{glossary}: de-DE.maybe: Extra inputs are not permitted" in text_
    assert counts(db) == {"talent": 0, "talent_image": 0, "talent_tag": 0, "talent_right": 0}
    tm.write_text(yaml.safe_dump({"pt-PT": [{"source": "Order now", "target": "Encomende já"},
                                            {"source": "order  NOW", "target": "Peça já"}]}, allow_unicode=True))
    glossary.unlink()
    with pytest.raises(CatalogError, match=r"tm\.yaml: pt-PT\[1\]\.source: same line as pt-PT\[0\]"):
        import_catalog(engine_for(db), folder)


def test_a_text_slot_cannot_take_the_talent_slot_name(db, tmp_path):
    folder = _catalog_copy(tmp_path)
    spec = folder / "templates" / "summer-banner.yaml"
    spec.write_text(spec.read_text().replace("  cta: {", "  talent: {"))
    with pytest.raises(CatalogError, match=r"summer-banner\.yaml: invalid template\n  text_slots\.talent: "
                                           r"'talent' is the talent slot's name"):
        import_templates(engine_for(db), [spec])


def test_a_run_is_recorded_before_it_writes_and_an_unfinished_one_still_shows_in_usage(catalog, tmp_path,
                                                                                     fake_copy_model):
    from adloc.assets_db.lineage import plan_run

    engine = engine_for(catalog)
    job = {"job": "db-job", "brand": "Acme", "channel": "social", "run_date": RUN_DATE, "spec": {}, "run_token": "x"}
    out = str(tmp_path / "crashed")
    plan_run(engine, job, out, [{"creative": "c00", "template": "summer-banner", "locale": "de-DE",
                                 "talent": "de-lena", "seed": 1}])
    shown = usage(engine, "de-lena")
    assert [(u["job"], u["locale"], u["status"]) for u in shown] == [("db-job", "de-DE", "unfinished run")]
    assert shown[0]["uri"] == f"{out}/{{approved,review}}/c00/summer-banner/de-DE.png"

    # A later run of the same job into the same folder settles the item: its seed picks de-jonas,
    # so the unfinished run's entry leaves de-lena's usage and the published file is his.
    spec = _job(1, ["de-DE"], tags=["barista"])
    _, lines = _run(tmp_path, catalog, spec, "crashed", out=Path(out))
    assert lines[0]["talent"] == "de-jonas"
    assert usage(engine, "de-lena") == []
    assert [(u["uri"], u["status"]) for u in usage(engine, "de-jonas")] == [(lines[0]["uri"], "approved")]
    with Session(engine) as session:
        assert session.scalars(select(JobRow.status).order_by(JobRow.id)).all() == ["running", "done"]
        assert session.scalars(select(JobItemRow.status).where(JobItemRow.job_id == 2)).all() == ["approved"]


def test_db_upgrade_refuses_a_file_from_before_migrations(tmp_path, capsys):
    from sqlalchemy import create_engine

    path = tmp_path / "old.db"
    legacy = create_engine(f"sqlite:///{path}")
    with legacy.begin() as conn:
        conn.execute(text("CREATE TABLE talent (id VARCHAR PRIMARY KEY)"))
    legacy.dispose()
    assert main(["db", "upgrade", "--db", f"sqlite:///{path}"]) == 2
    assert f"sqlite:///{path}: holds adloc tables but no migration history" in capsys.readouterr().err


def test_a_failing_migration_changes_nothing(db, tmp_path):
    from adloc.assets_db.engine import _new_engine, current_revision, upgrade

    import_catalog(engine_for(db), EXAMPLES)
    before = counts(db)
    scripts = _with_migration(tmp_path, '    op.create_table("extra", sa.Column("id", sa.Integer, primary_key=True))\n'
                              + WIDER_NAMES + '    raise RuntimeError("the migration broke half way")\n')
    engine = _new_engine(db)
    with pytest.raises(RuntimeError, match="half way"):
        upgrade(engine, script_location=scripts)
    from sqlalchemy import inspect

    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert "extra" not in tables and not any(t.startswith("_alembic_tmp") for t in tables)
    assert counts(db) == before
    engine.dispose()


def test_reimport_updates_a_revoked_talent_and_keeps_the_takedown(catalog, tmp_path):
    engine = engine_for(catalog)
    revoke(engine, "pt-ana", "contract ended")
    folder = _catalog_copy(tmp_path)
    talent_file = folder / "catalog" / "talent.yaml"
    data = yaml.safe_load(talent_file.read_text())
    ana = data["talent"][0]
    ana.update(name="Ana Maria", tags=["barista", "outdoor"], image="../talent/pt-joao.png",
               rights=[{"regions": ["PT"], "channels": ["print"], "consent": ["2027-01-01", "2027-12-31"]}])
    talent_file.write_text(yaml.safe_dump(data, allow_unicode=True))
    statements: list[str] = []
    listener = lambda _c, _cur, statement, *_: statements.append(statement)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        import_talent(engine, talent_file)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    with Session(engine) as session:
        row = session.get(TalentRow, "pt-ana")
        assert (row.name, row.status, row.revoked_reason) == ("Ana Maria", "revoked", "contract ended")
        assert sorted(t.tag for t in row.tags) == ["barista", "outdoor"]
        assert [(r.channel, r.starts_on) for r in row.rights] == [("print", date(2027, 1, 1))]
        assert row.images[0].source.endswith("pt-joao.png")
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE TALENT ")]
    assert updates and not any("status" in s.lower() for s in updates)
    assert eligible_talent(engine, {"PT"}, "print", date(2027, 6, 1))["PT"] == []  # still taken down


def test_nothing_is_written_when_the_run_cannot_be_recorded(catalog, tmp_path, monkeypatch, fake_copy_model):
    import adloc.pipelines.plan as plan_stage

    def refuse(*_args, **_kwargs):
        raise RuntimeError("asset database unavailable")

    monkeypatch.setattr(plan_stage, "plan_run", refuse)
    job = write_job(tmp_path / "job.yaml", _job(1, ["pt-PT"]))
    with pytest.raises(RuntimeError, match="asset database unavailable"):
        main(["run", str(job), "--out", str(tmp_path / "out"), "--db", catalog, "--run-date", RUN_DATE])
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


def test_a_retried_plan_records_one_run(catalog):
    from adloc.assets_db.lineage import plan_run

    engine = engine_for(catalog)
    job = {"job": "db-job", "brand": "Acme", "channel": "social", "run_date": RUN_DATE, "spec": {}, "run_token": "t1"}
    item = {"creative": "c00", "template": "summer-banner", "locale": "de-DE", "talent": "de-lena", "seed": 1}
    first = plan_run(engine, job, "/out", [item])
    assert plan_run(engine, job, "/out", [item]) == first
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(JobRow)) == 1
        assert session.scalar(select(func.count()).select_from(JobItemRow)) == 1


def test_control_characters_are_refused_before_the_database(db, tmp_path, capsys):
    shutil.copy(EXAMPLES / "talent" / "pt-ana.png", tmp_path / "ana.png")
    path = tmp_path / "talent.yaml"
    path.write_text(yaml.safe_dump({"talent": [{"id": "a", "name": "A\x00na", "region": "PT", "image": "ana.png"}]}))
    assert main(["assets", "import", str(path), "--db", db]) == 2
    assert f"{path}: talent[0].name:" in capsys.readouterr().err
    import_catalog(engine_for(db), EXAMPLES)
    assert main(["assets", "revoke", "pt-ana", "--reason", "bad\x00reason", "--db", db]) == 2
    assert "error: reason: say why the talent is revoked" in capsys.readouterr().err


def test_locales_in_memory_files_are_canonical_and_need_a_region(db, tmp_path):
    folder = _catalog_copy(tmp_path)
    tm = folder / "catalog" / "tm.yaml"
    tm.write_text(yaml.safe_dump({"pt-PT": [{"source": "a b", "target": "c d"}],
                                  "pt-pt": [{"source": "e f", "target": "g h"}],
                                  "de": [{"source": "i j", "target": "k l"}]}))
    with pytest.raises(CatalogError) as caught:
        import_catalog(engine_for(db), folder)
    text_ = "\n".join(caught.value.errors)
    assert f"{tm}: pt-pt: the same locale as 'pt-PT' (pt-PT)" in text_
    assert f"{tm}: de: locale 'de' names no region" in text_


def test_import_refuses_a_missing_folder_and_an_unwritable_store(db, tmp_path, capsys):
    assert main(["assets", "import-catalog", str(tmp_path / "nope"), "--db", db]) == 2
    assert "nope: no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["assets", "import-catalog", str(tmp_path / "empty"), "--db", db]) == 2
    assert "nothing to import" in capsys.readouterr().err
    blocker = tmp_path / "store-is-a-file"
    blocker.write_text("")
    assert main(["assets", "import-catalog", str(EXAMPLES), "--db", db, "--store", str(blocker / "sub")]) == 2
    assert f"asset store {blocker / 'sub'}: cannot write" in capsys.readouterr().err
    assert counts(db)["talent"] == 0


@pytest.mark.parametrize(("url", "message"), [
    ("notaurl", "'notaurl' is not a database URL"),
    ("mysql+nosuchdriver://a/b", "no driver for this database"),
    ("postgresql+psycopg2://postgres@127.0.0.1:1/test", "cannot open the asset database"),
])
def test_a_bad_database_url_is_explained(url, message, capsys):
    assert main(["assets", "list", "--db", url]) == 2
    assert message in capsys.readouterr().err
    assert main(["db", "upgrade", "--db", url]) == 2
    assert message in capsys.readouterr().err
