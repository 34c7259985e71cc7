"""The web app through its HTTP interface (FastAPI's test client): forms, validation next to the
field, the queue, files by id only, review decisions, sign-in, CSRF, upload limits, escaping."""

from __future__ import annotations

import base64
import html
import json
import re

import pytest
from conftest import form_values
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from adloc.assets_db.engine import engine_for
from adloc.assets_db.schema import JobRow
from adloc.web import forms
from adloc.web.app import create_app

LOCAL = ("127.0.0.1", 50000)


def client(db: str, tmp_path, token: str | None = None, host=LOCAL, **kwargs) -> TestClient:
    app = create_app(db, str(tmp_path / "jobs"), token=token, **kwargs)
    return TestClient(app, client=host, base_url="http://127.0.0.1:8000")


def csrf(page) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def good_form(token: str) -> dict:
    return {"csrf": token, "rows": "1", "action": "submit", "job": "spring-web", "brand": "Acme Coffee",
            "channel": "social", "locales": ["pt-PT", "de-DE"], "keep_terms": "Acme",
            "creatives[0].id": "morning-hero", "creatives[0].template": "morning-square",
            "creatives[0].copy.headline": "Start your morning with Acme coffee",
            "creatives[0].copy.cta": "Order now for {price}", "creatives[0].values": "price=4.99",
            "creatives[0].talent": "barista"}


def queued(db: str) -> list[JobRow]:
    with Session(engine_for(db)) as session:
        return list(session.scalars(select(JobRow).order_by(JobRow.id)))


def test_the_form_queues_a_job_and_the_jobs_page_lists_it(catalog_db, tmp_path):
    web = client(catalog_db, tmp_path)
    page = web.get("/jobs/new")
    assert page.status_code == 200 and "morning-square" in page.text and 'value="ar-AE"' in page.text
    sent = web.post("/jobs", data=good_form(csrf(page)), follow_redirects=False)
    assert sent.status_code == 303
    [row] = queued(catalog_db)
    assert sent.headers["location"] == f"/jobs/{row.id}" and row.status == "queued"
    spec = json.loads(row.spec)
    assert spec["locales"] == ["pt-PT", "de-DE"] and spec["keep_terms"] == ["Acme"]
    assert spec["creatives"][0]["values"] == {"price": 4.99} and spec["creatives"][0]["talent"]["tags"] == ["barista"]
    assert row.out_uri.startswith(str(tmp_path / "jobs" / "spring-web-"))
    listing = web.get("/")
    assert f'href="/jobs/{row.id}"' in listing.text and "queued" in listing.text
    assert "Waiting for a worker" in web.get(f"/jobs/{row.id}").text


def test_a_bad_field_is_shown_next_to_it_and_nothing_is_queued(catalog_db, tmp_path):
    web = client(catalog_db, tmp_path)
    form = good_form(csrf(web.get("/jobs/new")))
    form.update({"job": "Spring Coffee!", "creatives[0].template": "no-such-template", "locales": []})
    page = web.post("/jobs", data=form)
    assert page.status_code == 422
    assert re.search(r'id="error-job">[^<]*is not a valid id', page.text)
    assert 'id="error-locales"' in page.text
    assert 'value="Acme Coffee"' in page.text  # what was typed stays
    assert queued(catalog_db) == []

    form = good_form(csrf(page))  # a valid spec, a template the catalog lacks
    form.update({"rows": "2", "creatives[1].id": "second", "creatives[1].template": "no-such-template",
                 "creatives[1].copy.cta": "Order now"})
    page = web.post("/jobs", data=form)
    assert page.status_code == 422
    assert re.search(r'id="error-creatives\[1\].template">[^<]*is not in the asset database', page.text)
    assert queued(catalog_db) == []


def test_a_creative_with_two_templates_makes_one_output_per_template(catalog_db, tmp_path):
    web = client(catalog_db, tmp_path)
    form = good_form(csrf(web.get("/jobs/new")))
    form["creatives[0].template"] = ["morning-square", "summer-banner"]
    assert web.post("/jobs", data=form, follow_redirects=False).status_code == 303
    [row] = queued(catalog_db)
    assert json.loads(row.spec)["creatives"][0]["template"] == ["morning-square", "summer-banner"]
    assert "0/4" in web.get("/").text  # 2 templates x 2 locales


def test_add_a_creative_keeps_what_was_typed(catalog_db, tmp_path):
    web = client(catalog_db, tmp_path)
    form = good_form(csrf(web.get("/jobs/new")))
    form["action"] = "add"
    page = web.post("/jobs", data=form)
    assert page.status_code == 200 and 'name="creatives[1].id"' in page.text and 'value="morning-hero"' in page.text
    assert queued(catalog_db) == []


def test_a_typed_script_comes_back_as_text(catalog_db, tmp_path):
    web = client(catalog_db, tmp_path)
    form = good_form(csrf(web.get("/jobs/new")))
    form.update({"brand": "", "creatives[0].copy.headline": "<script>alert(1)</script>"})
    page = web.post("/jobs", data=form)
    assert page.status_code == 422
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_an_uploaded_yaml_is_validated_then_queued(catalog_db, tmp_path):
    web = client(catalog_db, tmp_path, max_upload=4096)
    token = csrf(web.get("/jobs/new"))
    bad = "job: x\nbrand: B\nchannel: radio\nlocales: [pt-PT]\ncreatives: []\n"
    page = web.post("/jobs/upload", data={"csrf": token}, files={"spec": ("../../etc/job.yaml", bad, "text/yaml")})
    assert page.status_code == 422 and "job.yaml: channel:" in page.text and "../../etc" not in page.text
    page = web.post("/jobs/upload", data={"csrf": token}, files={"spec": ("job.yaml", "a: [", "text/yaml")})
    assert page.status_code == 422 and "not valid YAML" in page.text
    big = web.post("/jobs/upload", data={"csrf": token}, files={"spec": ("job.yaml", "#" * 5000, "text/yaml")})
    assert big.status_code == 413
    assert queued(catalog_db) == []
    good = (tmp_path / "spring.yaml")
    good.write_text("job: up\nbrand: Acme Coffee\nchannel: social\nlocales: [de-DE]\ncreatives:\n"
                    "  - {id: one, template: summer-banner, copy: {cta: Order now}}\n")
    sent = web.post("/jobs/upload", data={"csrf": token}, files={"spec": ("spring.yaml", good.read_bytes(), "text/yaml")},
                    follow_redirects=False)
    assert sent.status_code == 303 and [r.name for r in queued(catalog_db)] == ["up"]


def test_a_post_without_the_forms_csrf_token_is_refused(catalog_db, tmp_path):
    app = create_app(catalog_db, str(tmp_path / "jobs"))
    web, other, fresh = (TestClient(app, client=LOCAL, base_url="http://127.0.0.1:8000") for _ in range(3))
    form = good_form(csrf(web.get("/jobs/new")))
    assert web.post("/jobs", data={**form, "csrf": "0" * 64}).status_code == 403  # the cookie, a wrong token
    assert web.post("/jobs", data={**form, "csrf": "é"}).status_code == 403
    assert fresh.post("/jobs", data=form).status_code == 403  # the token, no cookie
    other.get("/jobs/new")  # another browser: its own cookie, and this browser's token
    assert other.post("/jobs", data=form).status_code == 403
    assert other.post("/jobs/upload", data={"csrf": form["csrf"]},
                      files={"spec": ("a.yaml", "job: a", "text/yaml")}).status_code == 403
    assert other.post("/review/1", data={"csrf": form["csrf"], "decision": "approve"}).status_code == 403
    sent = web.post("/jobs", data=form, headers={"Origin": "http://evil.example"})
    assert sent.status_code == 403  # from another site, even with the right pair
    assert queued(catalog_db) == []
    assert web.post("/jobs", data=form, follow_redirects=False).status_code == 303  # the right pair


def test_a_rebound_host_name_is_not_this_machine(catalog_db, tmp_path):
    web = client(catalog_db, tmp_path)
    assert web.get("/", headers={"Host": "attacker.example:8000"}).status_code == 403
    assert web.get("/", headers={"Host": "localhost:8000"}).status_code == 200
    assert web.get("/", headers={"Host": "[::1]:8000"}).status_code == 200


def test_sign_in_with_the_token_and_only_this_machine_without_one(catalog_db, tmp_path):
    assert client(catalog_db, tmp_path, host=("10.0.0.7", 1)).get("/").status_code == 403
    web = client(catalog_db, tmp_path, token="s3cret", host=("10.0.0.7", 1))
    refused = web.get("/")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    wrong = base64.b64encode(b"ana:nope").decode()
    assert web.get("/", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    right = base64.b64encode(b"ana:s3cret").decode()
    page = web.get("/", headers={"Authorization": f"Basic {right}"})
    assert page.status_code == 200 and "signed in as ana" in page.text
    assert web.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_ids_out_of_range_are_refused_not_errors(catalog_db, tmp_path):
    web = client(catalog_db, tmp_path)
    for path in ("/jobs/3000000000", "/jobs/0", "/jobs/abc", "/jobs/1/items/99999999999.png"):
        assert web.get(path).status_code == 422, path  # not an id: refused before the database
    assert web.get("/jobs/1").status_code == 404  # an id, but no such job


def test_a_queued_job_runs_shows_its_gallery_and_a_review_decision_reaches_the_db(catalog_db, tmp_path,
                                                                                   fake_copy_model):
    from adloc.assets_db.schema import ReviewRow, TMRow
    from adloc.cli import main
    from adloc.records import Generation

    # The (fake) model answers the headline not sure enough: the item waits for review.
    fake_copy_model.lines[("fr-FR", "Fresh <b>pastries</b> every morning")] = Generation(
        "Des <b>viennoiseries</b> fraîches chaque matin", 0.3, 8)

    web = client(catalog_db, tmp_path)
    form = good_form(csrf(web.get("/jobs/new")))
    form.update({"locales": ["fr-FR"], "creatives[0].copy.headline": "Fresh <b>pastries</b> every morning"})
    web.post("/jobs", data=form)
    assert main(["worker", "--once", "--db", catalog_db]) == 0
    [row] = queued(catalog_db)
    assert row.status == "done"
    assert fake_copy_model.asked == ["fr-FR:Fresh <b>pastries</b> every morning"]  # the cta is a memory line
    page = web.get(f"/jobs/{row.id}")
    assert page.status_code == 200 and "<h2>fr-FR</h2>" in page.text
    assert "Fresh &lt;b&gt;pastries&lt;/b&gt; every morning" in page.text  # copy is text, never markup
    item_id = int(re.search(r'id="item-(\d+)"', page.text).group(1))
    image = web.get(f"/jobs/{row.id}/items/{item_id}.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert web.get(f"/jobs/{row.id}/manifest.jsonl").text.count("\n") == 1
    assert "<html" in web.get(f"/jobs/{row.id}/report.html").text
    # Files by job and item id only: no other name, no path, no item of another job.
    for path in (f"/jobs/{row.id}/..%2F..%2Fetc%2Fpasswd", f"/jobs/{row.id}/passwd", f"/jobs/{row.id}/assets.db",
                 f"/jobs/{row.id + 1}/items/{item_id}.png", f"/jobs/{row.id}/items/{item_id + 100}.png"):
        assert web.get(path).status_code == 404, path

    review = web.get("/review")
    assert f'id="review-{item_id}"' in review.text
    token = csrf(review)
    refused = web.post(f"/review/{item_id}", data={"csrf": token, "decision": "reject", "reviewer": "ana"})
    assert refused.status_code == 422 and "reason" in refused.text
    # What is wrong: a checkbox per slot and one for the image; a part the item lacks is refused.
    assert 'name="wrong" value="headline"' in review.text and 'name="wrong" value="image"' in review.text
    refused = web.post(f"/review/{item_id}", data={"csrf": token, "decision": "reject", "reviewer": "ana",
                                                    "reason": "bad", "wrong": ["headline", "logo"]})
    assert refused.status_code == 422 and "&#39;logo&#39; is neither a slot" in refused.text
    # A line that loses the source's markup fails a critical check: refused, naming the slot and check.
    refused = web.post(f"/review/{item_id}", data={
        "csrf": token, "decision": "approve", "reviewer": "ana",
        "copy.headline": "Pâtisseries fraîches tous les matins", "copy.cta": "Commandez maintenant pour {price}"})
    assert refused.status_code == 422 and "copy.headline" in refused.text and "markup" in refused.text
    # ... and the form comes back as edited, the failing check beside the line, with the preview.
    assert 'value="Pâtisseries fraîches tous les matins"' in refused.text and 'id="preview-' in refused.text
    assert "Approving these lines needs the override: copy.headline:markup" in refused.text
    # A preview checks and sets the lines without recording anything.
    previewed = web.post(f"/review/{item_id}", data={
        "csrf": token, "decision": "preview", "reviewer": "ana",
        "copy.headline": "Pâtisseries <b>fraîches</b> tous les matins", "copy.cta": "Commandez maintenant pour {price}"})
    assert previewed.status_code == 200 and "data:image/png;base64," in previewed.text
    assert "needs the override" not in previewed.text
    with Session(engine_for(catalog_db)) as session:
        assert session.scalars(select(ReviewRow)).all() == []
    decided = web.post(f"/review/{item_id}", data={
        "csrf": token, "decision": "approve", "reviewer": "ana",
        "copy.headline": "Pâtisseries <b>fraîches</b> tous les matins", "copy.cta": "Commandez maintenant pour {price}"},
        follow_redirects=True)
    assert decided.status_code == 200 and f"Item {item_id}: decision recorded" in decided.text
    with Session(engine_for(catalog_db)) as session:
        [decision] = session.scalars(select(ReviewRow)).all()
        assert (decision.job_item_id, decision.decision, decision.reviewer) == (item_id, "edited", "ana")
        memory = {r.source: r.target for r in session.scalars(select(TMRow).where(TMRow.locale == "fr-FR",
                                                                                 TMRow.origin == "review"))}
    assert memory["Fresh <b>pastries</b> every morning"] == "Pâtisseries <b>fraîches</b> tous les matins"
    assert f'id="review-{item_id}"' not in web.get("/review").text
    again = web.post(f"/review/{item_id}", data={"csrf": token, "decision": "reject", "reviewer": "bo",
                                                  "reason": "too late"})
    assert again.status_code == 409 and "already edited by ana" in again.text
    with Session(engine_for(catalog_db)) as session:  # the refused decision left nothing behind
        assert [(r.decision, r.reviewer) for r in session.scalars(select(ReviewRow))] == [("edited", "ana")]


def test_serve_refuses_another_address_without_a_token(catalog_db, monkeypatch, capsys):
    from adloc.cli import main

    monkeypatch.delenv("ADLOC_WEB_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--db", catalog_db]) == 2
    assert "ADLOC_WEB_TOKEN" in capsys.readouterr().err


def test_a_running_jobs_progress_counts_the_records_it_has_written(catalog_db, tmp_path):
    from adloc.assets_db import queue

    web = client(catalog_db, tmp_path)
    web.post("/jobs", data=good_form(csrf(web.get("/jobs/new"))))  # 1 creative x 2 locales
    claimed = queue.claim(engine_for(catalog_db))
    assert "0/2" in web.get("/").text
    for status, locale in (("approved", "pt-PT"),):
        record = tmp_path / claimed["out"] / status / "morning-hero" / "morning-square" / f"{locale}.json"
        record.parent.mkdir(parents=True)
        record.write_text("{}")
    assert "1/2" in web.get("/").text
    assert '<meta http-equiv="refresh"' in web.get(f"/jobs/{claimed['id']}").text


@pytest.mark.parametrize("typed, values", [
    ("price=4.99", {"price": 4.99}),
    ("price=4.99 EUR; date=1 May", {"price": {"amount": "4.99", "currency": "EUR"}, "date": "1 May"}),
    ("price[pt-PT]=2.49 EUR; price[es-MX] = 65 MXN", {"price": {"pt-PT": {"amount": "2.49", "currency": "EUR"},
                                                              "es-MX": {"amount": "65", "currency": "MXN"}}}),
])
def test_the_form_takes_money_and_per_market_values(typed, values):
    spec, errors = forms.spec_from_form({"creatives[0].id": "a", "creatives[0].template": "morning-square",
                                         "creatives[0].values": typed}, ["cta"])
    assert errors == {} and spec["creatives"][0]["values"] == values
    assert form_values(values) == typed.replace(" = ", "=")


@pytest.mark.parametrize("typed", ["price=4.99 EUR; price[es-MX]=65 MXN", "price[es-MX]=65 MXN; price=4.99",
                                   "price=4.99; price[es-MX]=65 MXN"])
def test_one_value_for_every_market_and_one_market_s_own_is_an_error(typed):
    _, errors = forms.spec_from_form({"creatives[0].id": "a", "creatives[0].values": typed}, ["cta"])
    assert "price has one value for every market and one for es-MX" in errors["creatives[0].values"]


def test_the_form_takes_a_register_per_ticked_locale():
    spec, errors = forms.spec_from_form({"locales": ["de-DE", "fr-FR"], "formality.de-DE": "informal",
                                         "formality.fr-FR": "", "formality.es-MX": "formal"}, ["cta"])
    assert errors == {} and spec["formality"] == {"de-DE": "informal"}  # es-MX is not ticked


def test_reviewers_limited_to_locales_see_and_decide_only_theirs_and_translators_get_xliff(
        catalog_db, tmp_path, fake_copy_model, capsys):
    from test_deliver import FR, run_waiting

    from adloc.errors import AdlocError
    from adloc.services import review
    from adloc.services.review import Reviewers

    db, _, items = run_waiting(catalog_db, tmp_path, fake_copy_model, capsys)
    reviewers = Reviewers.parse("ana=de-DE; lead=*")
    assert reviewers.of("ana") == {"de-DE"} and reviewers.of("lead") is None and reviewers.of("bo") == frozenset()
    with pytest.raises(AdlocError, match="'ana=' is not name=locale"):
        Reviewers.parse("ana=")
    web = client(db, tmp_path, token="s3cret", reviewers=reviewers)
    ana = {"Authorization": "Basic " + base64.b64encode(b"ana:s3cret").decode()}
    lead = {"Authorization": "Basic " + base64.b64encode(b"lead:s3cret").decode()}

    page = web.get("/review", headers=ana)
    assert f'id="review-{items["de-DE"]}"' in page.text and f'id="review-{items["fr-FR"]}"' not in page.text
    assert "Your locales: de-DE" in page.text
    form = {"csrf": csrf(page), "decision": "approve", **{f"copy.{slot}": text for slot, text in FR.items()}}
    refused = web.post(f"/review/{items['fr-FR']}", data=form, headers=ana)
    assert refused.status_code == 403 and "ana reviews de-DE only" in refused.text
    assert web.post(f"/review/{items['fr-FR']}", data={**form, "decision": "preview"}, headers=ana).status_code == 403
    assert web.get("/review/export?job=1&locale=fr-FR", headers=ana).status_code == 403
    assert review.history(engine_for(db), items["fr-FR"]) == []
    done = web.post(f"/review/{items['fr-FR']}", data=form, headers=lead, follow_redirects=False)
    assert done.status_code == 303
    [decision] = review.history(engine_for(db), items["fr-FR"])
    assert (decision.reviewer, decision.face.value) == ("lead", "web")

    # The queue offers each job and locale's waiting lines as XLIFF for translators.
    page = web.get("/review", headers=lead)
    [link] = [html.unescape(h) for h in re.findall(r'href="(/review/export\?job=\d+&amp;locale=[^"]+)"', page.text)]
    assert link.endswith("locale=de-DE")
    xlf = web.get(link, headers=lead)
    assert xlf.status_code == 200 and xlf.headers["content-type"].startswith("application/xliff+xml")
    assert f'<unit id="i{items["de-DE"]}.headline"'.encode() in xlf.content and b'trgLang="de-DE"' in xlf.content
    assert web.get(link.replace("de-DE", "fr-FR"), headers=lead).status_code == 404  # nothing waits there now
