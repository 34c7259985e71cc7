"""Each stage of the job pipeline on Beam's in-process runner, without a model: expansion, the
talent choice, the copy requests, translation-memory hits, the gate over the fake copy model's
canned lines, and one whole job over the sample catalog. Reuse, compose, write and report are
tested through that job's outputs (files, manifest.jsonl, report.html), not their classes."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from decimal import Decimal

import apache_beam as beam
import pytest
from apache_beam.ml.inference.base import RunInference
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to
from conftest import EXAMPLES, RUN_DATE, record_eval
from fakes import FAKE_MODEL_ID, FakeCopyModelHandler

from adloc.jobspec import JobSpecError, load_job, parse_job
from adloc.money import Money
from adloc.pipelines import copy as copy_stage
from adloc.pipelines import job as job_pipeline
from adloc.pipelines.expand import expand
from adloc.pipelines.gate import Gate
from adloc.pipelines.lookup import LoadLookup, LookUp, query_for
from adloc.pipelines.runner import counters
from adloc.pipelines.talent import ChooseTalent
from adloc.records import Generation, seed_for

SAMPLE_JOB = EXAMPLES / "jobs" / "spring-coffee.yaml"


def pipeline() -> BeamTestPipeline:
    """Beam's TestPipeline on the in-process runner, named as `job.make_pipeline` names it: the
    DirectRunner would first try to download the Prism binary. (Imported as BeamTestPipeline:
    pytest would try to collect a class named Test*.)"""
    return BeamTestPipeline(runner=FnApiRunner())


def job_spec(*creatives: dict, locales: tuple[str, ...] = ("de-DE",)) -> dict:
    """A job of `creatives` (each with a {price} of 2.5 unless it says otherwise)."""
    return {"job": "stages", "brand": "Acme Coffee", "channel": "social", "locales": list(locales),
            "keep_terms": ["Acme"], "creatives": [{"values": {"price": 2.5}, **c} for c in creatives]}


def items_for(spec: dict, db: str, run_date: str = RUN_DATE):
    return expand(parse_job(spec, "job.yaml"), "job.yaml", db, run_date)


def lookup_for(db: str, items):
    """The job's lookup (what the `Lookup` stage yields), read here once for tests that need it
    as a value."""
    loader = LoadLookup(db)
    loader.setup()
    return next(iter(loader.process(query_for(items))))


# --- 1. expand --------------------------------------------------------------------------------

def test_expand_makes_one_item_per_creative_template_and_locale_sorted_by_key(catalog_db):
    items = expand(load_job(SAMPLE_JOB), str(SAMPLE_JOB), catalog_db, RUN_DATE)
    keys = [item.key for item in items]
    assert len(items) == 28 and keys == sorted(keys) and len(set(keys)) == 28  # 4 creative x template, 7 locales
    assert keys[:3] == ["afternoon-break/summer-banner/ar-AE", "afternoon-break/summer-banner/de-DE",
                        "afternoon-break/summer-banner/es-MX"]
    treat = [item for item in items if item.creative == "weekend-treat" and item.locale == "pt-PT"]
    assert [item.template.id for item in treat] == ["morning-square", "summer-banner"]  # a list of templates
    first = treat[0]
    assert first.copy == {"headline": "Coffee and a donut for the weekend", "cta": "Two for {price}"}
    # Each market's own price: the item carries the pt-PT one
    assert (first.values, first.talent_tags, first.keep_terms) == (
        {"price": Money(Decimal("4.5"), "EUR")}, ("smiling",), ("Acme",))
    mexico = next(item for item in items if item.key == "weekend-treat/morning-square/es-MX")
    assert mexico.values == {"price": Money(Decimal(99), "MXN")}
    assert (first.job, first.brand, first.channel, first.run_date) == (
        "spring-coffee-2027", "Acme Coffee", "social", RUN_DATE)
    assert first.template.text_slot("cta").max_chars == 34
    assert first.seed == seed_for("spring-coffee-2027", "weekend-treat", "morning-square", "pt-PT")
    assert first.talent is None and first.dead_letter is None  # chosen by the next stage


def test_expand_names_every_missing_template_and_slot_at_once(catalog_db):
    spec = job_spec(
        {"id": "a", "template": "nope", "copy": {"cta": "Order now"}},
        {"id": "b", "template": ["summer-banner", "gone"], "copy": {"subline": "Order now", "cta": "Order now"}},
    )
    with pytest.raises(JobSpecError) as caught:
        items_for(spec, catalog_db)
    assert caught.value.source == "job.yaml"
    assert caught.value.errors == [
        ("creatives[0].template: template 'nope' is not in the asset database "
         "(import it with `adloc assets import-catalog FOLDER`)"),
        "creatives[1].copy.subline: template 'summer-banner' has no text slot 'subline' (slots: cta, headline)",
        ("creatives[1].template[1]: template 'gone' is not in the asset database "
         "(import it with `adloc assets import-catalog FOLDER`)"),
    ]


# --- 2. choose talent -------------------------------------------------------------------------

def choose(items, db: str) -> tuple[BeamTestPipeline, beam.PCollection]:
    p = pipeline()
    lookup = p | "Lookup" >> LookUp(items, db)
    chosen = (p | "Items" >> beam.Create(items)
              | "ChooseTalent" >> ChooseTalent(lookup)
              | "Project" >> beam.Map(lambda item: (item.key, item.talent.id if item.talent else None,
                                                    item.dead_letter)))
    return p, chosen


def test_choose_talent_picks_licensed_talent_by_seed_and_dead_letters_the_rest(catalog_db):
    items = [item for item in expand(load_job(SAMPLE_JOB), "job", catalog_db, RUN_DATE)
             if item.locale in ("de-DE", "pt-PT")]
    p, chosen = choose(items, catalog_db)
    smiling_de = f"no licensed talent tagged smiling for region DE, channel social, on {RUN_DATE}"
    assert_that(chosen, equal_to([
        ("afternoon-break/summer-banner/de-DE", "de-jonas", None),
        ("afternoon-break/summer-banner/pt-PT", "pt-ana", None),
        ("morning-hero/morning-square/de-DE", "de-lena", None),  # tagged barista
        ("morning-hero/morning-square/pt-PT", "pt-ana", None),
        # No smiling talent is licensed in DE (de-mia's consent expired, de-paul was revoked).
        ("weekend-treat/morning-square/de-DE", None, smiling_de),
        ("weekend-treat/morning-square/pt-PT", "pt-ana", None),
        ("weekend-treat/summer-banner/de-DE", None, smiling_de),
        ("weekend-treat/summer-banner/pt-PT", "pt-joao", None),  # another seed, another pick
    ]))
    counts = counters(p.run())
    assert (counts["talent_found"], counts["talent_missing"]) == (6, 2)


def test_choose_talent_after_every_licence_lapsed_names_region_channel_and_date(catalog_db):
    spec = job_spec({"id": "c", "template": "summer-banner", "copy": {"cta": "Order now for {price}"}},
                    locales=("pt-PT", "ar-AE"))
    p, chosen = choose(items_for(spec, catalog_db, "2031-01-01"), catalog_db)
    assert_that(chosen, equal_to([
        ("c/summer-banner/ar-AE", None, "no licensed talent for region AE, channel social, on 2031-01-01"),
        ("c/summer-banner/pt-PT", None, "no licensed talent for region PT, channel social, on 2031-01-01"),
    ]))
    p.run()


# --- 3. prepare copy and translation-memory hits ----------------------------------------------

def test_prepare_copy_attaches_exact_and_fuzzy_memory_and_from_memory_checks_the_hit(catalog_db):
    spec = job_spec(
        {"id": "hero", "template": "morning-square",
         "copy": {"headline": "Start your morning with Acme coffee", "cta": "Order today for {price}"}},
        # The memory's line for this source is 36 characters: over a cta's budget of 34.
        {"id": "long", "template": "summer-banner", "copy": {"cta": "Start your morning with Acme coffee"}},
    )
    items = items_for(spec, catalog_db)
    p = pipeline()
    lookup = p | "Lookup" >> LookUp(items, catalog_db)
    requests = (p | "Items" >> beam.Create(items)
                | "PrepareCopy" >> beam.FlatMap(copy_stage.prepare_copy, beam.pvalue.AsSingleton(lookup)))
    assert_that(requests | "Requests" >> beam.Map(
        lambda r: (r.key, r.slot, r.max_chars, r.exact, r.fuzzy.target if r.fuzzy else None, r.fuzzy_score,
                   [e.source for e in r.examples], sorted((g.term, g.kind, g.rendering) for g in r.glossary))),
        equal_to([
            ("hero/morning-square/de-DE", "cta", 34, None, "Jetzt bestellen für {price}", 0.8636,
             ["Order now for {price}"], DE_GLOSSARY),
            ("hero/morning-square/de-DE", "headline", 60, "Starte deinen Morgen mit Acme Kaffee", None, 0.0, [],
             DE_GLOSSARY),
            ("long/summer-banner/de-DE", "cta", 34, "Starte deinen Morgen mit Acme Kaffee", None, 0.0, [],
             DE_GLOSSARY),
        ]), label="CheckRequests")
    from_memory = (requests | "ExactHits" >> beam.Filter(lambda r: r.exact is not None)
                   | "FromMemory" >> beam.Map(lambda r: (r.key, copy_stage.from_memory(r))))
    assert_that(from_memory | "Slots" >> beam.Map(
        lambda kv: (kv[0], kv[1].slot, kv[1].path, kv[1].approved, kv[1].text, kv[1].confidence, kv[1].reason,
                    [(c.name, c.detail) for c in kv[1].checks if not c.passed])),
        equal_to([
            ("hero/morning-square/de-DE", "headline", "tm", True, "Starte deinen Morgen mit Acme Kaffee", None,
             "translation memory exact hit", []),
            ("long/summer-banner/de-DE", "cta", "tm", False, "Starte deinen Morgen mit Acme Kaffee", None,
             "translation memory exact hit; fails length", [("length", "36 characters, over the budget of 34")]),
        ]), label="CheckFromMemory")
    p.run()


DE_GLOSSARY = [("Acme", "keep", ""), ("coffee", "required", "Kaffee"), ("gesund", "banned", "")]


# --- 4. the gate over the model's lines -------------------------------------------------------

GATE_LINES = {
    ("de-DE", "Two for {price}"): Generation("Zwei für {price}", 0.9, 5),
    ("de-DE", "Order today for {price}"): Generation("Heute bestellen für {price}", 0.3, 6),  # not sure
    ("de-DE", "Buy two for {price}"): Generation("Kaufe zwei", 0.99, 3),  # lost the placeholder
}


def test_gate_ships_a_passing_line_and_falls_back_for_the_rest(catalog_db):
    sources = ["Two for {price}", "Order today for {price}", "Buy two for {price}", "Ask for a refill"]
    spec = job_spec(*({"id": f"c{i}", "template": "summer-banner", "copy": {"cta": source}}
                      for i, source in enumerate(sources)))
    items = items_for(spec, catalog_db)
    lookup = lookup_for(catalog_db, items)
    requests = [r for item in items for r in copy_stage.prepare_copy(item, lookup)]
    assert [r.exact for r in requests] == [None] * 4  # every line is a memory miss: the model's
    handler = FakeCopyModelHandler(GATE_LINES)
    p = pipeline()
    gated = (p | beam.Create(requests) | "RewriteCopy" >> RunInference(handler)
             | "GateCopy" >> beam.ParDo(copy_stage.GateCopy(Gate({"de-DE": 0.5}))))
    fallback = "no usable translation-memory match, needs a translator"
    assert_that(gated | beam.Map(lambda kv: (kv[0], kv[1].path, kv[1].approved, kv[1].text, kv[1].confidence,
                                             kv[1].candidate, kv[1].reason)), equal_to([
        ("c0/summer-banner/de-DE", "model", True, "Zwei für {price}", 0.9, None,
         "all checks passed, confidence 0.90"),
        ("c1/summer-banner/de-DE", "tm_fuzzy", False, "Jetzt bestellen für {price}", 0.3,
         "Heute bestellen für {price}",
         ("model output confidence 0.30 below the de-DE threshold 0.50; used a 86% translation-memory match, "
          "needs review")),
        ("c2/summer-banner/de-DE", "source", False, "Buy two for {price}", 0.99, "Kaufe zwei",
         f"model output failed placeholders (missing {{price}}); {fallback}"),
        # A failed generation (here: a line the test did not can) takes the old path too.
        ("c3/summer-banner/de-DE", "source", False, "Ask for a refill", None, None,
         f"fake copy model: no canned line for de-DE 'Ask for a refill'; {fallback}"),
    ]))
    counts = counters(p.run())
    assert (counts["copy_gate_passed"], counts["copy_fallbacks"]) == (1, 3)
    assert (counts["copy_model_loads"], counts["copy_model_batches"]) == (1, 1)  # the fake's, as RunInference counts
    assert sorted(handler.asked) == sorted(f"de-DE:{source}" for source in sources)


def test_localize_copy_joins_memory_hits_and_gated_model_lines_per_item(catalog_db):
    """The copy stage as the job applies it: per item, every slot once, the memory's exact hit
    where there is one and the gated model line (or its fallback) elsewhere."""
    spec = job_spec(
        {"id": "hero", "template": "morning-square",
         "copy": {"headline": "Start your morning with Acme coffee", "cta": "Two for {price}"}},
        {"id": "bad", "template": "summer-banner", "copy": {"cta": "Buy two for {price}"}},
    )
    items = items_for(spec, catalog_db)
    models = copy_stage.CopyModels(FakeCopyModelHandler(GATE_LINES), "fake", {"de-DE": FAKE_MODEL_ID},
                                   Gate({"de-DE": 0.5}))
    p = pipeline()
    lookup = p | "Lookup" >> LookUp(items, catalog_db)
    localized = p | "Items" >> beam.Create(items) | "LocalizeCopy" >> copy_stage.LocalizeCopy(models, lookup)
    assert_that(localized | beam.Map(lambda kv: (kv[0], kv[1][0].key, sorted(
        (slot, line.path, line.approved, line.text) for slot, line in kv[1][1].items()))), equal_to([
        ("bad/summer-banner/de-DE", "bad/summer-banner/de-DE",
         [("cta", "source", False, "Buy two for {price}")]),  # the model lost the placeholder
        ("hero/morning-square/de-DE", "hero/morning-square/de-DE",
         [("cta", "model", True, "Zwei für {price}"),
          ("headline", "tm", True, "Starte deinen Morgen mit Acme Kaffee")]),
    ]))
    counts = counters(p.run())
    assert (counts["copy_gate_passed"], counts["copy_fallbacks"]) == (1, 1)


def test_the_fake_reports_its_model_id_and_adapter_ids_as_the_real_handler_does(tmp_path):
    plain = FakeCopyModelHandler()
    assert plain.model_id_for("de-DE") == FAKE_MODEL_ID and plain.adapter_folders() == {}
    assert plain.batch_elements_kwargs() == {"min_batch_size": 64, "max_batch_size": 64}
    folder = tmp_path / "adapters" / "pt-PT"
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    (folder / "adapter_model.safetensors").write_bytes(b"weights")
    tuned = FakeCopyModelHandler(adapters=str(tmp_path / "adapters"))
    assert tuned.adapter_folders() == {"pt-PT": str(folder)}
    assert tuned.model_id_for("pt-PT").startswith(f"{FAKE_MODEL_ID}+lora-pt-PT@")
    assert tuned.model_id_for("de-DE", "base") == "base"


# --- 5. a whole job with the fake copy model ---------------------------------------------------

def canned(text: str, confidence: float = 0.9) -> Generation:
    return Generation(text, confidence, len(text.split()))


# The sample job's lines the memory lacks, canned per locale: de-DE, pt-PT, fr-FR and ja-JP good
# lines (but one fr-FR line below the threshold), es-MX one line left in English, ar-AE and he-IL
# none canned (a failed generation: every model line there takes the old path).
SAMPLE_LINES = {
    ("de-DE", "Take a break with an iced coffee"): canned("Mach eine Pause mit einem Eiskaffee", 0.91),
    ("pt-PT", "Only {price} this week"): canned("Só {price} esta semana", 0.88),
    ("pt-PT", "Two for {price}"): canned("Dois por {price}"),
    ("pt-PT", "Coffee and a donut for the weekend"): canned("Café e um donut para o fim de semana", 0.87),
    ("fr-FR", "Start your morning with Acme coffee"): canned("Commencez votre matinée avec un café Acme"),
    ("fr-FR", "Only {price} this week"): canned("Seulement {price} cette semaine", 0.2),
    ("fr-FR", "Two for {price}"): canned("Deux pour {price}"),
    ("fr-FR", "Coffee and a donut for the weekend"): canned("Un café et un beignet pour le week-end"),
    ("es-MX", "Take a break with an iced coffee"): canned("Tómate un descanso con un café helado"),
    ("es-MX", "Start your morning with Acme coffee"): canned("Empieza tu mañana con café Acme"),
    ("es-MX", "Two for {price}"): canned("Two for {price}", 0.95),
    ("es-MX", "Coffee and a donut for the weekend"): canned("Un café y una dona para el fin de semana"),
    ("ja-JP", "Two for {price}"): canned("2つで{price}"),
    ("ja-JP", "Coffee and a donut for the weekend"): canned("週末はコーヒーとドーナツを"),
}

# (creative, template, locale) -> (status, path of each slot's line)
TM_TM = {"headline": "tm", "cta": "tm"}
SAMPLE_OUTCOMES = {
    ("afternoon-break", "summer-banner", "ar-AE"): ("review", {"headline": "source", "cta": "source"}),
    ("afternoon-break", "summer-banner", "de-DE"): ("approved", {"headline": "model", "cta": "tm"}),
    ("afternoon-break", "summer-banner", "es-MX"): ("approved", {"headline": "model", "cta": "tm"}),
    ("afternoon-break", "summer-banner", "fr-FR"): ("review", {"headline": "tm", "cta": "source"}),
    ("afternoon-break", "summer-banner", "pt-PT"): ("approved", {"headline": "tm", "cta": "model"}),
    ("morning-hero", "morning-square", "ar-AE"): ("approved", TM_TM),
    ("morning-hero", "morning-square", "de-DE"): ("approved", TM_TM),
    ("morning-hero", "morning-square", "es-MX"): ("approved", {"headline": "model", "cta": "tm"}),
    ("morning-hero", "morning-square", "fr-FR"): ("approved", {"headline": "model", "cta": "tm"}),
    ("morning-hero", "morning-square", "pt-PT"): ("approved", TM_TM),
    **{(creative, template, locale): ("approved", TM_TM) for creative, template in (
        ("morning-hero", "morning-square"), ("afternoon-break", "summer-banner")) for locale in ("ja-JP", "he-IL")},
    **{("weekend-treat", template, locale): outcome
       for template in ("morning-square", "summer-banner")
       for locale, outcome in {
           "ar-AE": ("review", {"headline": "source", "cta": "source"}),
           "de-DE": ("dead_letter", {}),
           "es-MX": ("review", {"headline": "model", "cta": "source"}),
           "fr-FR": ("approved", {"headline": "model", "cta": "model"}),
           "pt-PT": ("approved", {"headline": "model", "cta": "model"}),
           "ja-JP": ("approved", {"headline": "model", "cta": "model"}),
           "he-IL": ("review", {"headline": "source", "cta": "source"}),
       }.items()},
}


def calibrate_fake(db_url: str, locales: list[str], threshold: float) -> None:
    """The fake copy model's eval in the registry: its lines gated at `threshold` in these locales."""
    from adloc.assets_db.engine import engine_for

    for locale in locales:
        record_eval(engine_for(db_url), locale, FAKE_MODEL_ID, "embedded", "", threshold, 0.95, {})


def test_the_sample_job_with_canned_lines_routes_each_item_and_reruns_nothing(catalog_db, fake_copy_model,
                                                                               tmp_path):
    fake_copy_model.lines.update(SAMPLE_LINES)
    calibrate_fake(catalog_db, ["pt-PT", "de-DE", "fr-FR", "es-MX", "ja-JP"], 0.5)  # ar-AE, he-IL: all to review
    out = tmp_path / "out"
    settings = job_pipeline.RunSettings(db_url=catalog_db, out=str(out), run_date=RUN_DATE)
    finished = job_pipeline.run(load_job(SAMPLE_JOB), str(SAMPLE_JOB), settings, test_pipeline=pipeline())
    items, counts = finished.items, finished.counts
    assert len(items) == 28

    # Only the lines the memory lacks reached the model, once per item (weekend-treat has two
    # templates), none for the de-DE dead letters.
    asked = Counter(fake_copy_model.asked)
    assert asked == Counter({**{f"{locale}:{source}": 1 for locale, source in [
        ("de-DE", "Take a break with an iced coffee"), ("pt-PT", "Only {price} this week"),
        ("fr-FR", "Start your morning with Acme coffee"), ("fr-FR", "Only {price} this week"),
        ("es-MX", "Take a break with an iced coffee"), ("es-MX", "Start your morning with Acme coffee"),
        ("ar-AE", "Take a break with an iced coffee"), ("ar-AE", "Only {price} this week")]},
        **{f"{locale}:{source}": 2 for locale in ("pt-PT", "fr-FR", "es-MX", "ar-AE", "ja-JP", "he-IL")
           for source in ("Two for {price}", "Coffee and a donut for the weekend")}})

    # The manifest: one line per item, its status and copy paths as routed, files as hashed.
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    records = {(m["creative"], m["template"], m["locale"]): m for m in manifest}
    assert len(manifest) == 28 and set(records) == set(SAMPLE_OUTCOMES)
    for key, (status, paths) in SAMPLE_OUTCOMES.items():
        line = records[key]
        folder = out / status / key[0] / key[1]
        record = json.loads((folder / f"{key[2]}.json").read_text())
        assert (line["status"], record["status"]) == (status, status), key
        assert {slot: copy["path"] for slot, copy in record.get("copy", {}).items()} == paths, key
        if status == "dead_letter":
            assert line["uri"] == str(folder / f"{key[2]}.json") and not (folder / f"{key[2]}.png").exists()
            assert line["reason"] == f"no licensed talent tagged smiling for region DE, channel social, on {RUN_DATE}"
            continue
        png = folder / f"{key[2]}.png"
        assert line["uri"] == str(png) and line["sha256"] == hashlib.sha256(png.read_bytes()).hexdigest(), key
        assert line["models"] == {"copy": FAKE_MODEL_ID, "inpainter": "blend-v1"}, key
        assert record["image"]["approved"] is True, key  # the blend: only the copy decides here

    # The reasons say why each line took the old path.
    fr = json.loads((out / "review/afternoon-break/summer-banner/fr-FR.json").read_text())["copy"]["cta"]
    assert (fr["text"], fr["candidate"], fr["confidence"]) == ("Only {price} this week",
                                                               "Seulement {price} cette semaine", 0.2)
    assert fr["reason"] == ("model output confidence 0.20 below the fr-FR threshold 0.50; "
                            "no usable translation-memory match, needs a translator")
    es = json.loads((out / "review/weekend-treat/summer-banner/es-MX.json").read_text())["copy"]
    assert es["headline"]["text"] == "Un café y una dona para el fin de semana" and es["headline"]["approved"]
    assert es["cta"]["candidate"] == "Two for {price}" and es["cta"]["reason"].startswith("model output failed ")
    assert "untranslated (100% of the target's words are the source's)" in es["cta"]["reason"]
    ar = json.loads((out / "review/afternoon-break/summer-banner/ar-AE.json").read_text())["copy"]["cta"]
    assert ar["reason"] == ("fake copy model: no canned line for ar-AE 'Only {price} this week'; "
                            "no usable translation-memory match, needs a translator")
    de = json.loads((out / "approved/afternoon-break/summer-banner/de-DE.json").read_text())["copy"]
    assert (de["headline"]["text"], de["headline"]["reason"]) == ("Mach eine Pause mit einem Eiskaffee",
                                                                  "all checks passed, confidence 0.91")
    assert (de["cta"]["text"], de["cta"]["rendered"]) == ("Nur {price} diese Woche", "Nur 2,99\u00a0€ diese Woche")

    # The counters agree with the records.
    assert {k: counts[k] for k in ("items_approved", "items_review", "items_dead_letter", "talent_found",
                                   "talent_missing", "copy_gate_passed", "copy_fallbacks", "copy_model_loads",
                                   "copy_model_batches")} == {
        "items_approved": 18, "items_review": 8, "items_dead_letter": 2, "talent_found": 26, "talent_missing": 2,
        "copy_gate_passed": 19, "copy_fallbacks": 13, "copy_model_loads": 1, "copy_model_batches": 1}

    # The report: every section counted, the dead letters' reason, the rejected candidate.
    html = (out / "report.html").read_text()
    for heading in ("Needs review (8)", "Approved (18)", "Dead letter (2)", "Copy models", "Talent rights"):
        assert f"<h2>{heading}</h2>" in html
    assert f"no licensed talent tagged smiling for region DE, channel social, on {RUN_DATE}" in html
    assert "model said: Seulement {price} cette semaine" in html and FAKE_MODEL_ID in html

    # Reuse: a rerun of the finished job asks the model nothing and rewrites no file.
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    before = len(fake_copy_model.asked)
    job_pipeline.run(load_job(SAMPLE_JOB), str(SAMPLE_JOB), settings, test_pipeline=pipeline())
    assert len(fake_copy_model.asked) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


def test_items_keep_their_key_through_the_copy_join(catalog_db):
    """merge_copy: the CoGroupByKey's output back to (item, copies by slot), slots in order."""
    items = items_for(job_spec({"id": "c", "template": "summer-banner",
                                "copy": {"headline": "Start your morning with Acme coffee",
                                         "cta": "Only {price} this week"}}), catalog_db)
    lookup = lookup_for(catalog_db, items)
    slots = [copy_stage.from_memory(r) for r in copy_stage.prepare_copy(items[0], lookup)]
    key, (item, copies) = copy_stage.merge_copy((items[0].key, {"item": [items[0]], "copy": slots[::-1]}))
    assert key == "c/summer-banner/de-DE" and item is items[0]
    assert [(s.slot, s.text) for s in copies.values()] == [("cta", "Nur {price} diese Woche"),
                                                          ("headline", "Starte deinen Morgen mit Acme Kaffee")]


# --- 6. inpaint, write, reuse and report, each as the job applies it -----------------------------

MEMORY_ONLY = {"id": "hero", "template": "morning-square",
               "copy": {"headline": "Start your morning with Acme coffee", "cta": "Order now for {price}"}}


def localized(catalog_db, *creatives: dict) -> list:
    """(key, (item, copies)) for each de-DE item of `creatives`, talent chosen and every line from
    the memory (no model): what the `Inpaint` stage takes. A creative with `"broken": True` gets a
    talent whose image is not there."""
    from dataclasses import replace

    from adloc.pipelines.talent import PickTalent

    broken = {c["id"] for c in creatives if c.get("broken")}
    items = items_for(job_spec(*({k: v for k, v in c.items() if k != "broken"} for c in creatives)), catalog_db)
    lookup = lookup_for(catalog_db, items)
    out = []
    for item in items:
        (item,) = PickTalent().process(item, lookup)
        if item.creative in broken:
            item = replace(item, talent=replace(item.talent, image_uri="/nowhere/talent.png"))
        copies = {r.slot: copy_stage.from_memory(r) for r in copy_stage.prepare_copy(item, lookup)}
        out.append((item.key, (item, copies)))
    return out


def test_inpaint_blends_each_item_and_sends_an_unreadable_talent_to_failed(catalog_db):
    from adloc.models.blend import BLEND_ID
    from adloc.models.inpaint import InpaintModelHandler
    from adloc.pipelines.image import Inpaint

    p = pipeline()
    inpainted = (p | beam.Create(localized(catalog_db, MEMORY_ONLY, {**MEMORY_ONLY, "id": "gone", "broken": True}))
                 | "Inpaint" >> Inpaint(InpaintModelHandler(None)))
    assert_that(inpainted["ok"] | "Ok" >> beam.Map(
        lambda kv: (kv[0][0].key, sorted(kv[0][1]), kv[1].model_id, kv[1].inference.dtype.name, kv[1].inference.ndim)),
        equal_to([("hero/morning-square/de-DE", ["cta", "headline"], BLEND_ID, "uint8", 3)]), label="CheckOk")
    assert_that(inpainted["failed"] | "Failed" >> beam.Map(
        lambda item: (item.key, "/nowhere/talent.png" in item.dead_letter)),
        equal_to([("gone/morning-square/de-DE", True)]), label="CheckFailed")
    p.run()


def run_write(catalog_db, out, creatives: list[dict]) -> None:
    """Inpaint, then Write, over `creatives` into `out`; checks what Write emits."""
    from adloc.models.inpaint import InpaintModelHandler
    from adloc.pipelines.image import Inpaint
    from adloc.pipelines.write import Write

    p = pipeline()
    inpainted = p | beam.Create(localized(catalog_db, *creatives)) | "Inpaint" >> Inpaint(InpaintModelHandler(None))
    records = (inpainted["ok"], (inpainted["failed"],)) | "Write" >> Write(str(out), {"de-DE": "fake-copy-v1"}, None)
    assert_that(records | "Keys" >> beam.Map(lambda r: (r.key, r.status.value, r.thumbnail is not None)), equal_to(
        [(f"{c['id']}/morning-square/de-DE", "dead_letter" if c.get("broken") else "approved",
          not c.get("broken")) for c in creatives]))
    p.run()


def test_write_writes_each_items_image_and_record_and_the_dead_letters(catalog_db, tmp_path):
    from adloc.records import ItemRecord

    out = tmp_path / "out"
    run_write(catalog_db, out, [MEMORY_ONLY, {**MEMORY_ONLY, "id": "gone", "broken": True}])
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == ["approved/hero/morning-square/de-DE.json", "approved/hero/morning-square/de-DE.png",
                       "dead_letter/gone/morning-square/de-DE.json", "pictures/hero/morning-square/de-DE.png"]
    record = ItemRecord.from_json((out / "approved/hero/morning-square/de-DE.json").read_bytes())
    png = (out / "approved/hero/morning-square/de-DE.png").read_bytes()
    assert record.sha256 == hashlib.sha256(png).hexdigest() and record.models == {
        "copy": "fake-copy-v1", "inpainter": "blend-v1"}
    assert {slot: (line.path, line.rendered) for slot, line in record.copy.items()} == {
        "headline": ("tm", "Starte deinen Morgen mit Acme Kaffee"), "cta": ("tm", "Jetzt bestellen für 2,50")}  # a plain number: the locale's decimal comma
    assert record.image.path == "blend" and not [c.name for c in record.checks() if not c.passed]
    dead = ItemRecord.from_json((out / "dead_letter/gone/morning-square/de-DE.json").read_bytes())
    assert dead.status == "dead_letter" and "/nowhere/talent.png" in dead.reason


@pytest.mark.parametrize("same_settings", [True, False])
def test_reuse_passes_on_finished_items_and_makes_changed_ones_again(catalog_db, tmp_path, fake_copy_model,
                                                                     same_settings):
    from adloc.pipelines.lookup import LookUp
    from adloc.pipelines.reuse import Reuse

    out = tmp_path / "out"
    spec = job_spec(MEMORY_ONLY, {"id": "none", "template": "morning-square", "talent": {"tags": ["smiling"]},
                                  "copy": {"cta": "Order now for {price}"}})  # no smiling talent in DE
    settings = job_pipeline.RunSettings(db_url=catalog_db, out=str(out), run_date=RUN_DATE)
    job_pipeline.run(parse_job(spec), "job", settings, test_pipeline=pipeline())  # the first, finished run
    key = job_pipeline.settings_key(copy_stage.copy_models(settings, ["de-DE"]),
                                    "blend-v1" if same_settings else "another-inpainter", settings)
    items = items_for(spec, catalog_db)
    p = pipeline()
    lookup = p | "Lookup" >> LookUp(items, catalog_db)
    todo = p | "Items" >> beam.Create(items) | "ChooseTalent" >> ChooseTalent(lookup) | "Reuse" >> Reuse(
        str(out), key, lookup)
    hero, none = "hero/morning-square/de-DE", "none/morning-square/de-DE"
    expected = {"todo": [] if same_settings else [hero], "dead": [none], "reused": [hero] if same_settings else []}
    for name, keys in expected.items():
        assert_that(getattr(todo, name) | f"Keys{name}" >> beam.Map(lambda x: x.key), equal_to(keys),
                    label=f"Check{name}")
    p.run()


def test_report_writes_the_report_and_the_manifest_of_every_record(catalog_db, tmp_path):
    from dataclasses import replace

    from adloc.models.blend import BLEND_ID
    from adloc.pipelines.report import Report
    from adloc.records import ItemRecord

    out = tmp_path / "out"
    run_write(catalog_db, out, [MEMORY_ONLY, {**MEMORY_ONLY, "id": "gone", "broken": True}])
    records = [ItemRecord.from_json(p.read_bytes()) for p in sorted(out.rglob("*.json"))]
    records = [r if r.status == "dead_letter" else replace(r, thumbnail=b"\xff\xd8") for r in records]
    info = {"job": "stages", "brand": "Acme Coffee", "channel": "social", "locales": ["de-DE"],
            "run_date": RUN_DATE, "copy_model": "fake", "inpainter": BLEND_ID, "copy_models": {}, "talent": []}
    p = pipeline()
    _ = (p | "Written" >> beam.Create(records[:1]), p | "Reused" >> beam.Create(records[1:])) | "Report" >> Report(
        str(out), info, None, None)
    p.run()
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [(m["creative"], m["status"]) for m in manifest] == [("gone", "dead_letter"), ("hero", "approved")]
    html = (out / "report.html").read_text()
    assert "<h2>Approved (1)</h2>" in html and "<h2>Dead letter (1)</h2>" in html and "/nowhere/talent.png" in html
    assert "Images were composited with the deterministic blend" in html
