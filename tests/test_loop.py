"""The closed loop from the command line on a tiny random-weight model: tune an adapter for one
locale, evaluate it, compare it with the champion, and runs picking up the champion's adapter and
calibrated threshold from the model registry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, record_eval

from adloc.assets_db import registry
from adloc.assets_db.engine import engine_for
from adloc.assets_db.schema import TMRow
from adloc.cli import main
from adloc.evals.evalset import load
from adloc.evals.tune import data_hash, read_metadata, training_pairs
from adloc.models.copy_llm import find_adapters
from adloc.translation_memory import tm_key

EVALSET = load(EXAMPLES / "eval")
HELD_OUT = EVALSET.split("pt-PT", "heldout")[1]  # [0] is in the catalog memory already


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    """The shipped eval set cut to its first 20 lines (8 held out), for runs of the tiny model."""
    root = tmp_path_factory.mktemp("eval-set")
    for path in (EXAMPLES / "eval").iterdir():
        if path.is_dir():
            continue  # the judged set: the tiny model's lines are judged by the chrF bar
        lines = path.read_text(encoding="utf-8").splitlines()
        keep = lines if path.name in ("labelled.tsv", "set.yaml") else lines[:21]
        (root / path.name).write_text("\n".join(keep) + "\n", encoding="utf-8")
    spec = root / "set.yaml"
    spec.write_text(spec.read_text().replace("../catalog/glossary.yaml", str(EXAMPLES / "catalog" / "glossary.yaml")))
    assert len(load(root).split("pt-PT", "heldout")) == 8
    return root


@pytest.fixture(scope="module")
def tuned_once(tmp_path_factory, tiny_lm, small_set):
    """A catalog DB whose pt-PT memory also holds a reviewer's line and a held-out line, and an
    adapter tuned on it (once per module: tests take a copy, `tuned`)."""
    from sqlalchemy.orm import Session

    from adloc.assets_db.catalog import import_catalog

    root = tmp_path_factory.mktemp("loop")
    db = f"sqlite:///{root / 'assets.db'}"
    engine = engine_for(db)
    import_catalog(engine, EXAMPLES)
    with Session(engine) as session, session.begin():
        session.add(TMRow(locale="pt-PT", source="Dark roast, bright mornings", source_key=tm_key("Dark roast, bright mornings"),
                          target="Torra escura, manhãs claras", origin="review"))
        session.add(TMRow(locale="pt-PT", source=HELD_OUT.source, source_key=tm_key(HELD_OUT.source),
                          target=HELD_OUT.reference, origin="review"))
    adapters = root / "adapters"
    args = ["tune", "--locale", "pt-PT", "--model", tiny_lm, "--db", db, "--out", str(adapters), "--set", str(small_set),
            "--max-pairs", "24", "--epochs", "4", "--learning-rate", "0.01", "--batch-size", "4", "--no-eval"]
    assert main(args) == 0
    engine_for(db).dispose()
    return {"db": db, "root": root, "adapters": adapters, "model": tiny_lm, "set": str(small_set)}


@pytest.fixture
def tuned(tuned_once, tmp_path):
    """`tuned_once`'s database and adapters, copied for one test: what a test records in the model
    registry or writes beside the adapter never reaches another test."""
    root = tmp_path / "loop"
    shutil.copytree(tuned_once["root"], root)
    return {**tuned_once, "db": f"sqlite:///{root / 'assets.db'}", "root": root, "adapters": root / "adapters"}


@pytest.mark.slow  # tunes and evaluates a tiny LM (with the embedded model's tokenizer)
def test_tune_saves_an_adapter_with_its_metadata_and_never_learns_held_out_lines(tuned):
    folder = tuned["adapters"] / "pt-PT"
    assert set(find_adapters(str(tuned["adapters"]))) == {"pt-PT"}
    metadata = read_metadata(folder)
    engine = engine_for(tuned["db"])
    everything, _ = training_pairs(engine, EVALSET, "pt-PT", 500)
    held_out = {line.source for line in EVALSET.split("pt-PT", "heldout")}
    assert not held_out & {p.source for p in everything}  # the eval must score lines the adapter never saw
    assert "Dark roast, bright mornings" in {p.source for p in everything}  # a reviewer's approved line
    _, counts = training_pairs(engine, EVALSET, "pt-PT", 24)
    assert counts["held_out_excluded"] >= 2 and counts["pairs"] == 24  # the catalog's and the reviewer's
    pairs, _ = training_pairs(engine, load(tuned["set"]), "pt-PT", 24)
    assert metadata["locale"] == "pt-PT"
    assert metadata["base_model"] == {"model": tuned["model"], "id": Path(tuned["model"]).name}
    assert metadata["data"]["sha256"] == data_hash(pairs)
    assert metadata["data"]["eval_set_sha256"] == load(tuned["set"]).digest
    assert metadata["settings"]["epochs"] == 4 and metadata["settings"]["rank"] == 8
    losses = metadata["training"]["loss_per_epoch"]
    assert len(losses) == 4 and losses[-1] < losses[0]  # it learnt something
    assert metadata["training"]["examples_seen"] == 4 * len(pairs)


@pytest.mark.slow  # tunes and evaluates a tiny LM (with the embedded model's tokenizer)
def test_tune_refuses_a_locale_the_eval_set_lacks(tuned, capsys):
    assert main(["tune", "--locale", "ja-JP", "--model", tuned["model"], "--db", tuned["db"],
                 "--out", str(tuned["root"] / "x"), "--no-eval"]) == 2
    assert "locale ja-JP: the eval set" in capsys.readouterr().err
    assert not (tuned["root"] / "x").exists()


@pytest.mark.slow  # tunes and evaluates a tiny LM (with the embedded model's tokenizer)
def test_eval_writes_the_report_and_the_threshold_into_the_registry(tuned, capsys):
    quick = tuned["root"] / "quick"
    assert main(["eval", "--locale", "de-DE", "--model", tuned["model"], "--db", tuned["db"], "--limit", "4",
                 "--out", str(quick), "--set", tuned["set"]]) == 0
    assert "not recorded: only an eval of every held-out line" in capsys.readouterr().out
    assert registry.versions(engine_for(tuned["db"])) == []  # a quick look calibrates nothing
    assert len(json.loads((quick / "eval.json").read_text())["evals"][0]["lines"]) == 4

    out = tuned["root"] / "eval"
    assert main(["eval", "--locale", "pt-PT", "--model", tuned["model"], "--db", tuned["db"], "--out", str(out),
                 "--set", tuned["set"]]) == 0
    assert "thresholds written to the model registry" in capsys.readouterr().out
    assert (out / "eval.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((out / "eval.json").read_text())
    assert [e["locale"] for e in report["evals"]] == ["pt-PT"]
    assert len(report["evals"][0]["lines"]) == 8  # every held-out line
    assert "Check pass rates" in (out / "eval.md").read_text() and "<img" in (out / "eval.html").read_text()
    champion = registry.champions(engine_for(tuned["db"]))["pt-PT"]
    assert champion.version == Path(tuned["model"]).name  # the first base model evaluated
    assert champion.eval["report"] == str(out / "eval.html")
    assert champion.target_precision == 0.95 and champion.threshold == report["evals"][0]["threshold"]
    assert main(["models", "list", "--db", tuned["db"], "--json"]) == 0
    assert [(r["locale"], r["status"]) for r in json.loads(capsys.readouterr().out)] == [("pt-PT", "champion")]


@pytest.fixture
def forced(monkeypatch):
    """Scores as measured, except the challenger's coverage (and a critical check, on request):
    a random-weight model cannot win, so the win is made up; the verdict and promotion are real."""
    from adloc.evals import evaluate

    made_up: dict = {"challenger": {}, "champion": {}}
    real = evaluate.score

    def score(*args, **kwargs):
        result = real(*args, **kwargs)
        forced = made_up["challenger" if "+lora-" in result.version else "champion"]
        result.coverage = forced.get("coverage", result.coverage)
        result.pass_rates["numbers"] = forced.get("numbers", result.pass_rates["numbers"])
        return result

    monkeypatch.setattr(evaluate, "score", score)
    return made_up


@pytest.mark.slow  # tunes and evaluates a tiny LM (with the embedded model's tokenizer)
def test_compare_promotes_only_a_challenger_that_wins(tuned, forced, capsys):
    engine = engine_for(tuned["db"])
    base = Path(tuned["model"]).name
    args = ["compare", "--locale", "pt-PT", "--challenger", str(tuned["adapters"]), "--model", tuned["model"],
            "--db", tuned["db"], "--json", "--promote", "--offline-only", "--set", tuned["set"]]

    def compare() -> dict:
        assert main(args) == 0
        return json.loads(capsys.readouterr().out.splitlines()[-2])

    measured = compare()  # both random: no coverage either side
    assert not measured["promote"] and not measured["promoted"] and measured["champion"] == base
    assert measured["reasons"][0] == "coverage at precision 0.95 does not rise: 0.0% -> 0.0%"
    challenger = measured["challenger"]
    assert "+lora-pt-PT@" in challenger
    assert read_metadata(tuned["adapters"] / "pt-PT")["eval"]["version"] == challenger  # results kept with it

    forced["champion"].update(numbers=1.0)
    forced["challenger"].update(coverage=0.5, numbers=0.9)  # more coverage, but a critical check regresses
    regressed = compare()
    assert not regressed["promoted"] and any("critical check numbers regresses" in r for r in regressed["reasons"])
    assert registry.champions(engine)["pt-PT"].version == base

    forced["challenger"].update(numbers=1.0)
    won = compare()
    assert won["promote"] and won["promoted"]
    statuses = {v.version: v.status for v in registry.versions(engine, "pt-PT")}
    assert statuses == {base: "retired", challenger: "champion"}
    assert "Verdict: the challenger wins: coverage at precision 0.95 rises" in Path(won["report"]).read_text()

    # The champion's folder is what runs load: a new tuning may not overwrite it.
    assert main(["tune", "--locale", "pt-PT", "--model", tuned["model"], "--db", tuned["db"],
                 "--out", str(tuned["adapters"]), "--no-eval", "--set", tuned["set"]]) == 2
    assert "holds the pt-PT champion" in capsys.readouterr().err


@pytest.mark.slow  # tunes and evaluates a tiny LM (with the embedded model's tokenizer)
def test_a_run_takes_the_champions_adapter_and_calibrated_threshold(tuned, tmp_path):
    from adloc.models.copy_llm import AdapterError
    from adloc.pipelines.copy import copy_models
    from adloc.pipelines.runner import RunSettings

    engine = engine_for(tuned["db"])
    folder = tuned["adapters"] / "pt-PT"
    base = Path(tuned["model"]).name
    version = f"{base}+" + find_adapters(str(tuned["adapters"]))["pt-PT"][1]
    record_eval(engine, "pt-PT", version, tuned["model"], str(folder), 0.42, 0.95, {})
    registry.promote(engine, "pt-PT", version)  # already the champion when the compare test ran first
    record_eval(engine, "de-DE", base, tuned["model"], "", None, 0.95, {})
    settings = RunSettings(db_url=tuned["db"], out=str(tmp_path), copy_model=tuned["model"])
    models = copy_models(settings, ["pt-PT", "de-DE", "fr-FR"])
    assert models.handler.adapter_folders() == {"pt-PT": str(folder.resolve())}
    assert models.versions["pt-PT"] == version
    assert models.gate.threshold("pt-PT") == 0.42
    assert models.gate.threshold("de-DE") is None  # evaluated: nothing reached the target precision
    assert models.gate.threshold("fr-FR") is None  # never evaluated: review, whatever the confidence
    passed, reason = models.gate.decide([], 0.99, "de-DE")
    assert not passed and "no de-DE threshold reaching the target precision" in reason
    fixed = copy_models(RunSettings(db_url=tuned["db"], out=str(tmp_path), copy_model=tuned["model"], threshold=0.3,
                                    adapters=str(tuned["adapters"])), ["de-DE"])
    assert fixed.gate.threshold("de-DE") == 0.3 and fixed.gate.fixed == 0.3

    # Weights changed under the champion's name: refused, not run.
    weights = folder / "adapter_model.safetensors"
    original = weights.read_bytes()
    try:
        weights.write_bytes(original[:-8] + bytes(8))
        with pytest.raises(AdapterError, match=f"the pt-PT champion is {version.replace('+', '[+]')}, but"):
            copy_models(settings, ["pt-PT"])
    finally:
        weights.write_bytes(original)


def test_a_run_gates_on_the_calibrated_threshold_and_its_report_links_the_eval(catalog_db, tmp_path,
                                                                              fake_copy_model):
    from conftest import RUN_DATE, write_job

    from adloc.records import Generation

    version = fake_copy_model.model_id  # the version that runs: the registry's entry for it applies
    fake_copy_model.lines.update({(locale, "Two for {price}"): Generation(line, 0.99, 3)
                                  for locale, line in (("pt-PT", "Dois por {price}"), ("de-DE", "Zwei für {price}"),
                                                       ("fr-FR", "Deux pour {price}"))})
    eval_html = tmp_path / "eval" / "eval.html"
    eval_html.parent.mkdir()
    eval_html.write_text("<html>eval</html>")
    record_eval(engine_for(catalog_db), "pt-PT", version, "embedded", "", None, 0.95,
                {"chrf": 12.0, "coverage": 0.0, "target_precision": 0.95, "report": str(eval_html)})
    record_eval(engine_for(catalog_db), "de-DE", version, "embedded", "", 0.9, 0.95, {"chrf": 50.0, "coverage": 0.4})
    job = write_job(tmp_path / "job.yaml", {
        "job": "gated", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT", "de-DE", "fr-FR"],
        "creatives": [{"id": "c", "template": "summer-banner", "copy": {"cta": "Two for {price}"},
                       "values": {"price": 3}}]})
    out = tmp_path / "out"
    assert main(["run", str(job), "--db", catalog_db, "--out", str(out), "--run-date", RUN_DATE]) == 0
    # pt-PT's eval found no threshold: even a 0.99 line waits for review. de-DE's is 0.9: the line
    # ships. fr-FR was never evaluated: nothing calibrated it, so its line waits too.
    pt = json.loads((out / "review" / "c" / "summer-banner" / "pt-PT.json").read_text())
    assert (pt["copy"]["cta"]["path"], pt["copy"]["cta"]["candidate"]) == ("source", "Dois por {price}")
    assert pt["copy"]["cta"]["reason"].startswith(
        "model output confidence 0.99, but the gate has no pt-PT threshold reaching the target precision")
    assert pt["models"]["copy"] == version
    de = json.loads((out / "approved" / "c" / "summer-banner" / "de-DE.json").read_text())
    assert (de["copy"]["cta"]["path"], de["copy"]["cta"]["text"]) == ("model", "Zwei für {price}")
    fr = json.loads((out / "review" / "c" / "summer-banner" / "fr-FR.json").read_text())
    assert (fr["copy"]["cta"]["path"], fr["copy"]["cta"]["candidate"]) == ("source", "Deux pour {price}")
    assert "no fr-FR threshold" in fr["copy"]["cta"]["reason"]
    report = (out / "report.html").read_text()
    assert "<h2>Copy models</h2>" in report
    assert "none reaches the target precision (adloc eval): all to review" in report  # pt-PT
    assert 'href="../eval/eval.html"' in report  # the latest eval, relative to the report
    assert "confidence 0.900 (adloc eval)" in report  # de-DE
    assert "not calibrated for this model: all to review" in report and "not evaluated" in report  # fr-FR
