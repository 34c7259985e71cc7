"""The marketing round trip in a real browser: Debian's Chromium, headless, driven by Playwright,
against `adloc serve`'s app on 127.0.0.1. Screenshots go to $ADLOC_SCREENSHOTS (else the test's
temporary folder)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import form_values
from sqlalchemy import select
from sqlalchemy.orm import Session

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def chromium() -> str | None:
    return os.environ.get("ADLOC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser():
    path = chromium()
    if path is None:
        if os.environ.get("ADLOC_REQUIRE_BROWSER"):
            pytest.fail("no Chromium: `make test` installs Debian's chromium package (or set ADLOC_CHROMIUM)")
        pytest.skip("no Chromium (`apt-get install chromium`, or set ADLOC_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def server(catalog_db, tmp_path, fake_copy_model):
    """The app on a free port of 127.0.0.1, in a thread of this process, its jobs run on the fake
    copy model (the worker runs in this process too): the model proposes the French lines below at a
    confidence the gate does not take, so they wait for review as the model's candidates."""
    import uvicorn

    from adloc.records import Generation
    from adloc.services.jobs import ModelOptions
    from adloc.web.app import create_app

    fake_copy_model.lines.update({("fr-FR", source): Generation(line, 0.3, 6) for source, line in FRENCH.items()})

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(catalog_db, str(tmp_path / "jobs"), options=ModelOptions())
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


# French lines for the sample job's copy: what the reviewer types.
FRENCH = {
    "Start your morning with Acme coffee": "Commencez votre matinée avec un café Acme",
    "Order now for {price}": "Commandez maintenant pour {price}",
    "Take a break with an iced coffee": "Faites une pause avec un café glacé",
    "Only {price} this week": "Seulement {price} cette semaine",
    "Coffee and a donut for the weekend": "Un café et un beignet pour le week-end",
    "Two for {price}": "Deux pour {price}",
}


def fill_the_sample_job(page, spec: dict) -> None:
    """The sample job typed into the form as a marketer would: every field, creative by creative."""
    page.fill("#job", spec["job"])
    page.fill("#brand", spec["brand"])
    page.select_option("#channel", spec["channel"])
    for tag in spec["locales"]:
        page.check(f"input[name=locales][value={tag}]")
        page.select_option(f"[id='formality.{tag}']", spec.get("formality", {}).get(tag, ""))
    page.fill("#keep_terms", ", ".join(spec["keep_terms"]))
    for i, creative in enumerate(spec["creatives"]):
        if i:
            page.click("button[value=add]")  # one more creative row; what is typed stays
        p = f"creatives[{i}]"
        page.fill(f"[id='{p}.id']", creative["id"])
        templates = creative["template"] if isinstance(creative["template"], list) else [creative["template"]]
        for template in templates:
            page.check(f"input[name='{p}.template'][value={template}]")
        for slot, text in creative["copy"].items():
            page.fill(f"[id='{p}.copy.{slot}']", text)
        page.fill(f"[id='{p}.values']", form_values(creative.get("values", {})))
        page.fill(f"[id='{p}.talent']", ", ".join(creative.get("talent", {}).get("tags", [])))


def test_submit_the_sample_job_run_it_look_and_approve_in_the_browser(browser, server, catalog_db, tmp_path):
    import yaml

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.schema import JobRow, ReviewRow, TMRow
    from adloc.cli import main

    spec = yaml.safe_load((Path(__file__).parents[1] / "examples" / "jobs" / "spring-coffee.yaml").read_text())
    shots = Path(os.environ.get("ADLOC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})

    # The sample job, with a bad job name first: the error sits next to the field, nothing is queued.
    page.goto(f"{server}/jobs/new")
    fill_the_sample_job(page, {**spec, "job": "Spring Coffee!"})
    page.click("#submit-job")
    assert "is not a valid id" in page.locator("[id='error-job']").inner_text()
    assert page.input_value("[id='creatives[2].copy.headline']") == spec["creatives"][2]["copy"]["headline"]
    page.screenshot(path=str(shots / "1-validation.png"), full_page=True)
    with Session(engine_for(catalog_db)) as session:
        assert session.scalars(select(JobRow)).all() == []

    # Corrected: queued as the YAML would have been, and the job page says it waits for a worker.
    page.fill("#job", spec["job"])
    page.click("#submit-job")
    page.wait_for_url(f"{server}/jobs/*")
    assert page.inner_text("#job-status") == "queued"
    page.screenshot(path=str(shots / "2-queued.png"), full_page=True)
    from adloc.jobspec import parse_job

    with Session(engine_for(catalog_db)) as session:
        [row] = session.scalars(select(JobRow)).all()
        queued_spec = json.loads(row.spec)
    expected = parse_job(spec).model_dump(mode="json", by_alias=True)
    assert sorted(queued_spec.pop("locales")) == sorted(expected.pop("locales"))  # the form lists them sorted
    assert queued_spec == expected

    # The worker runs it; the job page becomes the gallery: 28 items, a dead letter without image.
    assert main(["worker", "--once", "--db", catalog_db]) == 0
    page.reload()
    assert page.inner_text("#job-status") == "done"
    from adloc.assets_db.schema import JobItemRow

    with Session(engine_for(catalog_db)) as session:
        statuses = [i.status for i in session.scalars(select(JobItemRow))]
    assert len(statuses) == page.locator(".card").count() == 28  # 3 creatives, 4 creative x template, 7 locales
    assert "dead_letter" in statuses  # weekend-treat has no licensed talent in DE
    assert page.locator(".card img").count() == sum(s != "dead_letter" for s in statuses)
    for image in page.locator(".card img").all():  # the gallery loads images as they scroll into view
        image.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)", timeout=30000)
    page.screenshot(path=str(shots / "3-gallery.png"), full_page=True)

    # Review: approve a French item, typing the French lines.
    page.click("text=Review")
    card = page.locator(".card", has_text="fr-FR").first
    item_id = int(card.get_attribute("id").removeprefix("review-"))
    typed = {}
    for field in card.locator("input[name^='copy.']").all():
        source = field.get_attribute("data-source")
        field.fill(FRENCH[source])
        typed[source] = FRENCH[source]
    card.locator("input[name=reviewer]").fill("ana")
    page.screenshot(path=str(shots / "4-review.png"), full_page=True)
    # Check and preview: the same card again, the lines as typed, set into the picture.
    card.locator("button[value=preview]").click()
    card = page.locator(f"#review-{item_id}")
    assert card.locator(f"#preview-{item_id}").count() == 1
    assert sorted(f.input_value() for f in card.locator("input[name^='copy.']").all()) == sorted(typed.values())
    page.screenshot(path=str(shots / "4-preview.png"), full_page=True)
    if card.locator("input[name=reviewer]").count():
        card.locator("input[name=reviewer]").fill("ana")
    card.locator("button[value=approve]").click()
    assert f"Item {item_id}: decision recorded" in page.inner_text("#decided")
    page.screenshot(path=str(shots / "5-decided.png"), full_page=True)

    with Session(engine_for(catalog_db)) as session:
        decision = session.scalars(select(ReviewRow).where(ReviewRow.job_item_id == item_id)).one()
        assert decision.reviewer == "ana" and decision.decision in ("approved", "edited")
        learnt = session.scalars(select(TMRow).where(TMRow.origin == "review")).all()
    assert {(r.locale, r.source, r.target) for r in learnt} == {("fr-FR", s, t) for s, t in typed.items()}

    # The approval is the asset: the gallery shows the item approved, its French lines, and the
    # image served is the one written under approved/ (no rerun of the job).
    with Session(engine_for(catalog_db)) as session:
        item = session.get(JobItemRow, item_id)
        job_id, record_uri = item.job_id, item.record_uri
    assert "/approved/" in record_uri
    page.goto(f"{server}/jobs/{job_id}")
    approved = page.locator(f"#item-{item_id}")
    assert "approved" in approved.inner_text() and "by ana" in approved.inner_text()
    for target in typed.values():
        assert target.split(" {")[0] in approved.inner_text()
    served = page.request.get(f"{server}/jobs/{job_id}/items/{item_id}.png").body()
    assert served == Path(record_uri.removesuffix(".json") + ".png").read_bytes()
    approved.scroll_into_view_if_needed()
    approved.screenshot(path=str(shots / "6-approved-in-gallery.png"))

    # Reject another item: it leaves the queue for rejected/, with the reason, and shows so.
    page.click("text=Review")
    other = page.locator(".card", has_text="de-DE").first
    other_id = int(other.get_attribute("id").removeprefix("review-"))
    other.locator("input[name=reviewer]").fill("bo")
    other.locator("input[name=reason]").fill("the picture is off brand")
    other.locator("input[name=wrong][value=image]").check()
    other.locator("button[value=reject]").click()
    assert f"Item {other_id}: decision recorded" in page.inner_text("#decided")
    assert page.locator(f"#review-{other_id}").count() == 0
    page.goto(f"{server}/jobs/{job_id}")
    rejected = page.locator(f"#item-{other_id}")
    assert "rejected" in rejected.inner_text() and "the picture is off brand" in rejected.inner_text()
    assert rejected.locator("img").count() == 0
    page.screenshot(path=str(shots / "7-gallery-after-decisions.png"), full_page=True)

    # Translators: the queue's XLIFF for the job's French lines, downloaded as a person would, filled
    # in by a "CAT tool" (this test), imported; those items are approved and show so in the gallery.
    from copy import deepcopy

    from lxml import etree

    page.click("text=Review")
    page.click("#exports summary")  # the queue's files for translators, folded under the heading
    page.screenshot(path=str(shots / "8-exports.png"))
    with page.expect_download() as download:
        page.click(f"a.export[href*='job={job_id}'][href*='locale=fr-FR']")
    xlf = tmp_path / "fr.xlf"
    download.value.save_as(xlf)
    x = "{urn:oasis:names:tc:xliff:document:2.0}"
    root = etree.parse(str(xlf)).getroot()
    units = list(root.iter(f"{x}unit"))
    assert units and all(int(u.get("id")[1:].split(".")[0]) != item_id for u in units)  # the approved one is gone
    for unit in units:
        segment = unit.find(f"{x}segment")
        source = segment.find(f"{x}source")
        text = "".join(source.itertext()) if source.find(f"{x}ph") is None else None
        line = FRENCH[text if text is not None else (source.text or "") + "{price}" + (source.find(f"{x}ph").tail or "")]
        if segment.find(f"{x}target") is not None:
            segment.remove(segment.find(f"{x}target"))
        target = etree.SubElement(segment, f"{x}target")
        before, _, after = line.partition("{price}")
        target.text = before
        if source.find(f"{x}ph") is not None:  # the placeholder as the CAT tool keeps it: the source's code
            code = deepcopy(source.find(f"{x}ph"))
            code.tail = after
            target.append(code)
        segment.set("state", "translated")
    xlf.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert main(["review", "import", str(xlf), "--reviewer", "tess", "--db", catalog_db]) == 0
    translated = {int(u.get("id")[1:].split(".")[0]) for u in units}
    page.goto(f"{server}/jobs/{job_id}")
    for done in sorted(translated):
        card = page.locator(f"#item-{done}")
        assert "approved" in card.inner_text() and "by tess" in card.inner_text()
    page.locator(f"#item-{min(translated)}").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "9-gallery-after-xliff.png"), full_page=True)
    page.click("text=Review")
    assert page.locator(".card", has_text="fr-FR").count() == 0
