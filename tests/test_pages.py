"""One Jinja environment for every page adloc writes or serves: the run's report.html, the eval's
eval.html, and the web app's pages. Text reaches them escaped by Jinja's autoescape."""

from __future__ import annotations

import jinja2
import pytest
from conftest import EXAMPLES
from markupsafe import escape

from adloc import pages
from adloc.pipelines.report import render_report
from adloc.records import (
    CheckResult,
    CopyPath,
    ImagePath,
    ImageRecord,
    ItemRecord,
    ItemStatus,
    LineRecord,
    Severity,
)

SCRIPT = "<script>alert(1)</script>"


def check(name: str, passed: bool, detail: str = "ok") -> CheckResult:
    return CheckResult(name, passed, 1.0 if passed else 0.0, detail, Severity.FUNCTIONAL)


def record(creative: str, locale: str, status: str, rendered: str = "Bom dia") -> ItemRecord:
    approved = status == "approved"
    line = LineRecord("Good morning", rendered, rendered, CopyPath.MODEL if approved else CopyPath.TM_FUZZY,
                      approved, 0.873, "confidence 0.87 below the threshold 0.90", "Bom <b>dia</b>",
                      (check("length", True), check("untranslated", approved, "same as the source")))
    return ItemRecord(
        job="spring", creative=creative, template="morning-square", locale=locale, status=ItemStatus(status),
        uri=f"/out/{status}/{creative}/{locale}.png", seed=1, run_date="2026-11-27", talent="pt-ana",
        talent_image=None, inputs="", copy={"headline": line},
        image=ImageRecord("blend", ImagePath.BLEND, True, "", (check("outside_unchanged", True),)),
        thumbnail=b"\xff\xd8\xff\xe0")


INFO = {
    "job": "spring", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT", "ar-AE"],
    "run_date": "2026-11-27", "copy_model": "embedded", "inpainter": "blend",
    "copy_models": {
        "pt-PT": {"version": "v1", "status": "champion", "threshold": 0.8123, "set_by": "adloc eval", "score": "confidence", "chrf": 55.55,
                  "coverage": 0.4567, "target_precision": 0.95, "eval_report": "/runs/eval/eval.html"},
        "ar-AE": {"version": "v0", "status": "not evaluated", "threshold": None, "set_by": "not calibrated", "score": "confidence", "chrf": None,
                  "coverage": None, "target_precision": None, "eval_report": None}},
    "talent": [{"talent": "pt-ana", "name": "Ana", "region": "PT", "eligible": True, "reason": "eligible"},
               {"talent": "de-mia", "name": "Mia", "region": "DE", "eligible": False,
                "reason": "consent expired 2025-12-31"}],
}


def test_one_environment_holds_the_reports_and_the_web_pages():
    names = set(pages.environment.list_templates())
    assert {"report.html", "eval.html", "base.html", "job.html", "jobs.html", "new.html", "review.html",
            "message.html"} <= names
    assert pages.environment.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_the_web_app_renders_through_the_shared_environment(catalog_db, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from adloc.web.app import create_app

    asked = []
    get_template = pages.environment.get_template
    monkeypatch.setattr(pages.environment, "get_template", lambda name, *a, **kw: asked.append(name)
                        or get_template(name, *a, **kw))
    web = TestClient(create_app(catalog_db, str(tmp_path / "jobs")), client=("127.0.0.1", 50000),
                     base_url="http://127.0.0.1:8000")
    assert web.get("/").status_code == 200 and asked == ["jobs.html", "base.html"]  # and what it extends


def test_percent():
    assert [pages.percent(x) for x in (None, 0, 1, 0.4567, 0.0)] == ["–", "0%", "100%", "45.7%", "0%"]


def test_report_shows_the_items_models_and_talent_and_escapes_copy():
    records = [record("a", "pt-PT", "approved", SCRIPT), record("b", "ar-AE", "review"),
               ItemRecord(job="spring", creative="c", template="t", locale="de-DE", status=ItemStatus.DEAD_LETTER,
                          uri="/out/dead_letter/c/t/de-DE.json", seed=1, run_date="2026-11-27", talent=None,
                          talent_image=None, inputs="", reason="no licensed talent tagged <smiling>")]
    html = render_report(records, INFO, "/runs/job")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "model said: Bom &lt;b&gt;dia&lt;/b&gt;" in html  # the rejected candidate, for the review item only
    assert html.count("model said:") == 1
    for heading in ("Needs review (1)", "Approved (1)", "Dead letter (1)", "Copy models", "Talent rights"):
        assert f"<h2>{heading}</h2>" in html
    assert "data:image/jpeg;base64,/9j/4A==" in html and 'class="rtl"' in html  # ar-AE copy runs right to left
    assert "model score 0.87" in html and "2/3 passed" in html and "untranslated (functional): same as the source" in html
    assert "no licensed talent tagged &lt;smiling&gt;" in html
    assert "0.812 (adloc eval)" in html and "not calibrated for this model: all to review" in html and "55.5" in html and "45.7% at 0.95" in html
    assert 'href="../eval/eval.html">eval.html</a>' in html
    assert "no eval yet: run <code>adloc eval</code>" in html
    assert "Images were composited with the deterministic blend" not in html  # INFO's inpainter is not the blend id
    assert '<td class="bad">consent expired 2025-12-31</td><td>0</td>' in html
    assert '<td class="ok">eligible</td><td>2</td>' in html
    assert ">None<" not in html  # a missing talent or reason is an empty cell


def test_eval_report_escapes_the_model_output(tmp_path):
    from adloc.evals import eval_report
    from adloc.evals.evalset import load
    from adloc.evals.evaluate import score
    from adloc.records import Generation

    evalset = load(EXAMPLES / "eval")
    lines = evalset.split("pt-PT", "heldout")[:4]
    generations = [Generation(x.reference, 0.9, 5) for x in lines[1:]]
    result = score(evalset, "pt-PT", "v<1>", lines, [Generation(SCRIPT, 0.99, 5), *generations])
    paths = eval_report.write(str(tmp_path), "Eval: pt-PT <v1>", [result], ["a note & <i>markup</i>"])
    html = (tmp_path / "eval.html").read_text()
    assert paths["html"] == str(tmp_path / "eval.html")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>Eval: pt-PT &lt;v1&gt;</title>" in html and "<p>a note &amp; &lt;i&gt;markup&lt;/i&gt;</p>" in html
    assert 'src="data:image/png;base64,iVBORw0KGgo' in html
    for name, header, rows in eval_report.tables([result]):
        assert f"<h2>{escape(name)}</h2>" in html
        assert "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>" in html
        assert rows and f"<td>{escape(rows[0][0])}</td>" in html, name  # every table has rows here
    assert (tmp_path / "eval.md").read_text().startswith("# Eval: pt-PT <v1>")  # Markdown stays as it was


def test_a_report_missing_a_value_fails_instead_of_showing_a_blank():
    with pytest.raises(jinja2.UndefinedError, match="tables"):
        pages.render("eval.html", title="t", notes=[], png="")
