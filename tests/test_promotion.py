"""Champion against challenger: the promotion rule on synthetic evals, and the model registry
(both engines) that keeps versions, thresholds and the one champion per locale."""

from __future__ import annotations

import pytest
from conftest import record_eval
from sqlalchemy.exc import IntegrityError

from adloc.assets_db import registry
from adloc.assets_db.engine import engine_for
from adloc.errors import NotFound
from adloc.evals.promotion import judge


def summary(coverage: float, **pass_rates) -> dict:
    rates = {"placeholders": 1.0, "numbers": 1.0, "language": 0.8, **pass_rates}
    return {"locale": "pt-PT", "set_digest": "abc", "split": "heldout", "lines": 73, "chrf_bar": 40.0,
            "target_precision": 0.95, "coverage": coverage, "pass_rates": rates,
            "critical": ["numbers", "placeholders"]}


def test_the_challenger_wins_on_coverage_at_the_target_precision():
    verdict = judge(summary(0.10), summary(0.25, language=0.5))  # a functional check may move
    assert verdict.promote
    assert verdict.reasons == ["coverage at precision 0.95 rises: 10.0% -> 25.0%"]


def test_no_gain_in_coverage_is_no_promotion():
    assert not judge(summary(0.10), summary(0.10)).promote
    assert not judge(summary(0.0), summary(0.0)).promote
    verdict = judge(summary(0.30), summary(0.20, language=1.0))
    assert not verdict.promote and "does not rise: 30.0% -> 20.0%" in verdict.reasons[0]


def test_a_regression_in_any_critical_check_blocks_a_coverage_win():
    verdict = judge(summary(0.10), summary(0.40, numbers=0.97))
    assert not verdict.promote
    assert "critical check numbers regresses: 100.0% -> 97.0%" in verdict.reasons


def test_evals_on_different_sets_or_settings_are_not_compared():
    for key, value in (("set_digest", "other"), ("lines", 10), ("chrf_bar", 30.0), ("target_precision", 0.9)):
        with pytest.raises(ValueError, match=f"not the same eval.*{key}"):
            judge(summary(0.1), {**summary(0.5), key: value})


def test_the_registry_keeps_one_champion_per_locale(db):
    engine = engine_for(db)
    base = record_eval(engine, "pt-PT", "base", "embedded", "", None, 0.95, {"coverage": 0.0})
    assert base.status == "champion"  # the first base model of a locale is what runs today
    tuned = record_eval(engine, "pt-PT", "base+lora-pt-PT@1", "embedded", "/a/pt-PT", 0.61, 0.95,
                                 {"coverage": 0.2})
    assert tuned.status == "candidate"  # an adapter is only ever promoted
    de = record_eval(engine, "de-DE", "base+lora-de-DE@2", "embedded", "/a/de-DE", 0.7, 0.95, {})
    assert de.status == "candidate"  # even in a locale with no champion yet
    known = registry.versions(engine, ["pt-PT", "de-DE"])
    assert registry.champion_adapters(known, "base") == {}
    assert registry.thresholds(known, {"pt-PT": "base", "de-DE": "base"}) == {"pt-PT": None}

    assert registry.promote(engine, "pt-PT", "base+lora-pt-PT@1") == "base"
    statuses = {(v.locale, v.version): v.status for v in registry.versions(engine)}
    assert statuses == {("pt-PT", "base"): "retired", ("pt-PT", "base+lora-pt-PT@1"): "champion",
                        ("de-DE", "base+lora-de-DE@2"): "candidate"}
    known = registry.versions(engine, ["pt-PT", "de-DE"])
    assert registry.champion_adapters(known, "base") == {"pt-PT": "/a/pt-PT"}
    assert registry.champion_adapters(known, "other-model") == {}  # another base: not its adapter
    assert registry.thresholds(known, {"pt-PT": "base+lora-pt-PT@1"}) == {"pt-PT": 0.61}
    assert [v.locale for v in registry.versions(engine, "de-DE")] == ["de-DE"]
    # A new eval updates the version in place and keeps its status.
    again = record_eval(engine, "pt-PT", "base+lora-pt-PT@1", "embedded", "/a/pt-PT", 0.55, 0.95, {"x": 1})
    assert (again.status, again.threshold, again.eval) == ("champion", 0.55, {"x": 1})
    with pytest.raises(NotFound, match="no evaluated model version never"):
        registry.promote(engine, "pt-PT", "never")


def test_the_database_refuses_a_second_champion(db):
    from sqlalchemy.orm import Session

    from adloc.assets_db.schema import ModelVersionRow

    engine = engine_for(db)
    record_eval(engine, "fr-FR", "base", "embedded", "", 0.5, 0.95, {})
    row = record_eval(engine, "fr-FR", "base+lora", "embedded", "/x", 0.5, 0.95, {})
    assert row.status == "candidate"
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.query(ModelVersionRow).filter_by(version="base+lora").update({"status": "champion"})
