"""Shared fixtures: an asset DB seeded with the sample catalog, job files, output hashing."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import pytest
import yaml
from fakes import OvalMatter

from adloc.assets_db.catalog import import_catalog
from adloc.assets_db.engine import _new_engine, engine_for, upgrade

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RUN_DATE = "2026-11-27"


# The PostgreSQL server the test machine runs; each test gets a schema of its own.
PG_URL = os.environ.get("ADLOC_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session", autouse=True)
def asset_store(tmp_path_factory):
    """Imports write normalized images here, never into the user's store."""
    store = tmp_path_factory.mktemp("asset-store")
    previous = os.environ.get("ADLOC_ASSETS")
    os.environ["ADLOC_ASSETS"] = str(store)
    yield store
    if previous is None:
        os.environ.pop("ADLOC_ASSETS", None)
    else:
        os.environ["ADLOC_ASSETS"] = previous


def pg_schema_url(migrate: bool = True):
    """A fresh PostgreSQL schema (skips the test when no server answers); returns (url, drop)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    admin = _new_engine(PG_URL)
    try:
        with admin.begin() as conn:
            schema = f"adloc_test_{uuid.uuid4().hex[:12]}"
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("ADLOC_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL not reachable at {PG_URL} and ADLOC_REQUIRE_PG is set: {exc.orig}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc.orig}")
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    if migrate:
        migrator = _new_engine(url)
        upgrade(migrator)
        migrator.dispose()

    def drop() -> None:
        from adloc.assets_db.engine import SchemaError

        try:
            engine_for(url).dispose()
        except SchemaError:
            pass  # never migrated: no engine was kept
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """An empty asset database at the current schema, on each engine adloc supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'assets.db'}"
        return
    url, drop = pg_schema_url()
    yield url
    drop()


@pytest.fixture(scope="session")
def sample_catalog_file(tmp_path_factory) -> Path:
    """A SQLite file with the sample catalog imported once per session, for tests to copy (the
    import normalizes every image; copying the file is 50 times faster). Never used directly."""
    path = tmp_path_factory.mktemp("sample-catalog") / "assets.db"
    url = f"sqlite:///{path}"
    import_catalog(engine_for(url), EXAMPLES, matter=OvalMatter())  # the photographed talent gets a matte
    engine_for(url).dispose()
    return path


@pytest.fixture
def catalog(db, sample_catalog_file) -> str:
    """`db` with the sample catalog imported (SQLite: a copy of the session's import)."""
    if db.startswith("sqlite:///"):
        shutil.copyfile(sample_catalog_file, db.removeprefix("sqlite:///"))
    else:
        import_catalog(engine_for(db), EXAMPLES, matter=OvalMatter())
    return db


@pytest.fixture
def catalog_db(tmp_path, sample_catalog_file) -> str:
    """A SQLite asset database of its own with the sample catalog (pipeline tests)."""
    path = tmp_path / "assets.db"
    shutil.copyfile(sample_catalog_file, path)
    return f"sqlite:///{path}"


@pytest.fixture
def model_calls(monkeypatch) -> list[str]:
    """Every line the copy model is asked for, as "locale:source" (the model still runs)."""
    from adloc.models.copy_llm import CopyModelHandler

    calls: list[str] = []
    original = CopyModelHandler.run_inference

    def counting(self, batch, model, inference_args=None):
        calls.extend(f"{r.locale}:{r.source}" for r in batch)
        return original(self, batch, model, inference_args)

    monkeypatch.setattr(CopyModelHandler, "run_inference", counting)
    return calls


@pytest.fixture
def fake_copy_model(monkeypatch):
    """The pipeline's copy model replaced by `fakes.FakeCopyModel`: canned lines by (locale,
    source), no weights, so a run needs no fetched model (fast tests). Fill `.lines` before the run;
    `.asked` lists the lines the model was asked for, as "locale:source" (`.requests`: the
    CopyRequests themselves); outputs record `.model_id`. The seam is the handler of `adloc.pipelines.copy` plus
    `copy_llm.resolve` for "embedded" (what runs and `adloc submit` name the model by); everything
    else is real."""
    from fakes import FakeCopyModel

    import adloc.pipelines.copy as copy_stage
    from adloc.models import copy_llm

    fake = FakeCopyModel()
    monkeypatch.setattr(copy_stage, "CopyModelHandler", fake.handler)
    monkeypatch.setattr(copy_llm, "resolve", fake.resolve)
    yield fake
    fake.forget()


def form_values(values: dict) -> str:
    """A spec's values typed as the job form's field takes them (the inverse of what the form reads):
    `price[pt-PT]=2.49 EUR; price[es-MX]=65 MXN; date=1 May`."""

    def shown(value) -> str:
        return f"{value['amount']} {value['currency']}" if isinstance(value, dict) else str(value)

    parts = []
    for name, value in values.items():
        if isinstance(value, dict) and "currency" not in value:
            parts += [f"{name}[{market}]={shown(v)}" for market, v in value.items()]
        else:
            parts.append(f"{name}={shown(value)}")
    return "; ".join(parts)


def write_job(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_same_tree(folder: Path, expected: dict[str, str]) -> None:
    got = tree_hashes(folder)
    differing = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
    details = []
    for name in differing[:3]:
        path = folder / name
        if path.suffix in (".json", ".jsonl") and path.exists():
            details.append(f"{name}:\n{path.read_text()[:3000]}")
    assert not differing, f"files differ: {differing}\n" + "\n".join(details)


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> str:
    """A tiny random-weight causal LM with the small embedded model's tokenizer (and chat template),
    saved like any checkpoint folder: tuning and eval tests run through the real loading code."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from adloc.models import embedded

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(embedded.get(embedded.SMALL).folder)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    path = tmp_path_factory.mktemp("tiny-lm")
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def record_eval(engine, locale: str, version: str, model: str, adapter: str, threshold: float | None,
                target_precision: float, summary: dict):
    """One version's eval into the model registry, as `adloc eval` records it."""
    from adloc.assets_db import registry

    record = registry.EvalRecord(locale, version, model, adapter, threshold, target_precision, summary)
    return registry.record_evals(engine, [record])[0]


@pytest.fixture
def emoji_font():
    """The colour emoji font `make fonts` installs: skipped without it, failed where CI requires it
    (ADLOC_REQUIRE_EMOJI)."""
    from adloc import fonts

    if fonts.emoji_face() is None:
        if os.environ.get("ADLOC_REQUIRE_EMOJI"):
            pytest.fail(f"no colour emoji font and ADLOC_REQUIRE_EMOJI is set: {fonts.EMOJI_INSTALL}")
        pytest.skip(fonts.EMOJI_INSTALL)
