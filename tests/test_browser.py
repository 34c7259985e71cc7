"""The marketing round trip in a real browser: Debian's Chromium, headless, driven by Playwright,
against `adloc serve`'s app on 127.0.0.1. Screenshots go to $ADLOC_SCREENSHOTS (else the test's
temporary folder)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
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
def server(catalog_db, tmp_path):
    """The app on a free port of 127.0.0.1, in a thread of this process."""
    import uvicorn

    from adloc.web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(catalog_db, str(tmp_path / "jobs"))
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


def test_submit_run_look_and_approve_in_the_browser(browser, server, catalog_db, tmp_path):
    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.schema import JobRow, ReviewRow, TMRow
    from adloc.runners.cli import main

    shots = Path(os.environ.get("ADLOC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})

    # The form, with a bad job name: the error sits next to the field, nothing is queued.
    page.goto(f"{server}/jobs/new")
    page.fill("#job", "Spring Coffee!")
    page.fill("#brand", "Acme Coffee")
    page.check("input[name=locales][value=fr-FR]")
    page.check("input[name=locales][value=de-DE]")
    page.fill("#keep_terms", "Acme")
    page.fill("[id='creatives[0].id']", "pastries")
    page.select_option("[id='creatives[0].template']", "morning-square")
    page.fill("[id='creatives[0].copy.headline']", "Fresh pastries every morning")
    page.fill("[id='creatives[0].copy.cta']", "Order now for {price}")
    page.fill("[id='creatives[0].values']", "price=4.99")
    page.click("#submit-job")
    error = page.locator("[id='error-job']")
    assert "is not a valid id" in error.inner_text()
    assert page.input_value("[id='creatives[0].copy.headline']") == "Fresh pastries every morning"
    page.screenshot(path=str(shots / "1-validation.png"), full_page=True)
    with Session(engine_for(catalog_db)) as session:
        assert session.scalars(select(JobRow)).all() == []

    # Corrected: queued, and the job page says it waits for a worker.
    page.fill("#job", "spring-pastries")
    page.click("#submit-job")
    page.wait_for_url(f"{server}/jobs/*")
    assert page.inner_text("#job-status") == "queued"
    page.screenshot(path=str(shots / "2-queued.png"), full_page=True)

    # The worker runs it; the job page becomes the gallery.
    assert main(["worker", "--once", "--db", catalog_db]) == 0
    page.reload()
    assert page.inner_text("#job-status") == "done"
    cards = page.locator(".card")
    assert cards.count() == 2
    assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(shots / "3-gallery.png"), full_page=True)

    # Review: approve the first item with the headline corrected.
    page.click("text=Review")
    card = page.locator(".card", has_text="fr-FR").first
    form = card.locator("form")
    item_id = int(card.get_attribute("id").removeprefix("review-"))
    form.locator("input[name='copy.headline']").fill("Pâtisseries fraîches tous les matins")
    form.locator("input[name='copy.cta']").fill("Commandez maintenant pour {price}")
    form.locator("input[name=reviewer]").fill("ana")
    page.screenshot(path=str(shots / "4-review.png"), full_page=True)
    form.locator("button[value=approve]").click()
    assert f"Item {item_id}: decision recorded" in page.inner_text("#decided")
    page.screenshot(path=str(shots / "5-decided.png"), full_page=True)

    with Session(engine_for(catalog_db)) as session:
        decision = session.scalars(select(ReviewRow).where(ReviewRow.job_item_id == item_id)).one()
        assert (decision.decision, decision.reviewer) == ("edited", "ana")
        learnt = session.scalars(select(TMRow).where(TMRow.origin == "review")).all()
    assert {(r.locale, r.source, r.target) for r in learnt} == {
        ("fr-FR", "Fresh pastries every morning", "Pâtisseries fraîches tous les matins"),
        ("fr-FR", "Order now for {price}", "Commandez maintenant pour {price}")}
