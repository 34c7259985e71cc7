"""Talent eligibility: rights must cover region, channel and run date, and be active."""

from __future__ import annotations

from datetime import date

from adloc.assets_db.engine import engine_for
from adloc.assets_db.queries import choose_talent, eligible_talent, talent_rights_overview

ON = date(2026, 11, 27)


def test_only_active_rights_in_window_for_region_and_channel(catalog_db):
    engine = engine_for(catalog_db)
    eligible = eligible_talent(engine, {"DE", "FR", "PT"}, "social", ON)
    assert [t.id for t in eligible["DE"]] == ["de-jonas", "de-lena"]  # expired Mia and revoked Paul excluded
    assert [t.id for t in eligible["FR"]] == ["fr-chloe", "fr-hugo"]
    assert [t.id for t in eligible["PT"]] == ["pt-ana", "pt-joao"]


def test_channel_restricts_rights(catalog_db):
    # Hugo's licence covers social only.
    eligible = eligible_talent(engine_for(catalog_db), {"FR"}, "display", ON)
    assert [t.id for t in eligible["FR"]] == ["fr-chloe"]


def test_rights_granted_for_other_regions_count_there_only(catalog_db):
    # João (from PT) is licensed for ES as well; Lena (DE) for AT.
    eligible = eligible_talent(engine_for(catalog_db), {"ES", "AT", "MX"}, "social", ON)
    assert [t.id for t in eligible["ES"]] == ["pt-joao"]
    assert [t.id for t in eligible["AT"]] == ["de-lena"]
    assert "pt-joao" not in [t.id for t in eligible["MX"]]


def test_consent_window_is_checked_against_the_run_date(catalog_db):
    engine = engine_for(catalog_db)
    before_expiry = eligible_talent(engine, {"DE"}, "social", date(2025, 6, 1))
    assert [t.id for t in before_expiry["DE"]] == ["de-mia-expired"]  # the others start in 2026
    assert eligible_talent(engine, {"DE"}, "social", date(2031, 1, 1))["DE"] == []


def test_choice_is_deterministic_and_honours_tags(catalog_db):
    candidates = eligible_talent(engine_for(catalog_db), {"DE"}, "social", ON)["DE"]
    picks = {choose_talent(candidates, (), seed).id for seed in range(20)}
    assert picks == {"de-jonas", "de-lena"}
    assert choose_talent(candidates, ("casual",), 7).id == "de-jonas"
    assert choose_talent(candidates, ("smiling",), 7) is None  # only the expired Mia is tagged smiling


def test_overview_says_why_talent_is_not_eligible(catalog_db):
    rows = {r["talent"]: r for r in talent_rights_overview(engine_for(catalog_db), {"DE"}, "social", ON)}
    assert rows["de-mia-expired"]["reason"] == "consent expired 2025-12-31"
    assert rows["de-paul-revoked"]["reason"] == "rights revoked"
    assert rows["de-lena"]["eligible"] is True


def test_hostile_strings_are_parameters_not_sql(catalog_db):
    engine = engine_for(catalog_db)
    eligible = eligible_talent(engine, {"DE' OR '1'='1"}, "social' --", ON)
    assert eligible == {"DE' OR '1'='1": []}
    assert [t.id for t in eligible_talent(engine, {"DE"}, "social", ON)["DE"]] == ["de-jonas", "de-lena"]


def test_catalog_errors_name_the_file_and_field_and_store_nothing(tmp_path):
    import shutil

    import pytest
    import yaml
    from conftest import EXAMPLES
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from adloc.assets_db.catalog import CatalogError, import_catalog
    from adloc.assets_db.schema import TalentRow

    folder = tmp_path / "cat"
    shutil.copytree(EXAMPLES, folder)
    talent_file = folder / "catalog" / "talent.yaml"
    data = yaml.safe_load(talent_file.read_text())
    data["talent"][3]["rights"][0]["channels"] = ["social", "tv"]
    talent_file.write_text(yaml.safe_dump(data, allow_unicode=True))
    url = f"sqlite:///{tmp_path / 'a.db'}"
    with pytest.raises(CatalogError, match=r"talent\.yaml: talent\[3\]\.rights\[0\]\.channels: 'tv'"):
        import_catalog(engine_for(url), folder)
    with Session(engine_for(url)) as session:
        assert session.scalar(select(func.count()).select_from(TalentRow)) == 0


def test_a_renewed_consent_is_a_second_right_not_a_conflict(tmp_path):
    import shutil

    import yaml
    from conftest import EXAMPLES

    from adloc.assets_db.catalog import import_catalog

    folder = tmp_path / "cat"
    shutil.copytree(EXAMPLES, folder)
    talent_file = folder / "catalog" / "talent.yaml"
    data = yaml.safe_load(talent_file.read_text())
    mia = next(t for t in data["talent"] if t["id"] == "de-mia-expired")
    mia["rights"].append({"regions": ["DE"], "channels": ["social"], "consent": ["2026-06-01", "2027-05-31"]})
    talent_file.write_text(yaml.safe_dump(data, allow_unicode=True))
    url = f"sqlite:///{tmp_path / 'a.db'}"
    import_catalog(engine_for(url), folder)
    eligible = eligible_talent(engine_for(url), {"DE"}, "social", ON)
    assert "de-mia-expired" in [t.id for t in eligible["DE"]]
