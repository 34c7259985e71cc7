"""`adloc serve`: a small web app over the job queue for the marketing team. Server-rendered
pages (Jinja): submit a job (a form, or a job YAML), follow jobs, look at what each item became,
and decide on the items waiting for review. `adloc worker` runs what is queued."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import yaml
from fastapi import FastAPI, Request
from fastapi import Path as Id
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adloc.assets_db.engine import engine_for
from adloc.assets_db.schema import JobItemRow, JobRow, TemplateRow
from adloc.errors import AdlocError
from adloc.pages import environment as page_environment
from adloc.services import jobs as jobs_service
from adloc.services import review as review_service
from adloc.web import forms
from adloc.web.security import CSRF_COOKIE, CSRF_FIELD, LOCAL_HOSTS, Guard, Refused, new_cookie

DEFAULT_LOCALES = ("pt-PT", "de-DE", "fr-FR", "es-MX", "ar-AE")
MAX_UPLOAD = 256 * 1024  # a job YAML is a few kilobytes
RowId = Annotated[int, Id(ge=1, le=2**31 - 1)]  # a row id: an integer the database can hold


def create_app(db_url: str, out_root: str, token: str | None = None, secret: bytes | None = None,
               max_upload: int = MAX_UPLOAD) -> FastAPI:
    """The app over the asset database at `db_url`; a submitted job writes to
    `out_root/<job>-<time>` (a folder or bucket URI)."""
    guard = Guard(token, secret) if secret else Guard(token)
    engine = engine_for(db_url)
    app = FastAPI(title="adloc", docs_url=None, redoc_url=None, openapi_url=None)
    pages = Jinja2Templates(env=page_environment)  # shared with the reports; autoescapes .html

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        cookie = request.cookies.get(CSRF_COOKIE) or new_cookie()
        response = pages.TemplateResponse(request, name, {
            "csrf_field": CSRF_FIELD, "csrf": guard.csrf_for(cookie), "user": request.state.user, **context},
            status_code=status)
        if request.cookies.get(CSRF_COOKIE) != cookie:
            response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict")
        return response

    @app.middleware("http")
    async def gatekeeper(request: Request, call_next):
        try:
            request.state.user = guard.user(request.headers.get("authorization"))
            host = request.headers.get("host", "")
            if not token and (request.client is None or request.client.host not in LOCAL_HOSTS
                              or _hostname(host) not in LOCAL_HOSTS):  # a rebound DNS name is not this machine
                raise Refused(403, "this app serves this machine only; set ADLOC_WEB_TOKEN to serve a team")
            if request.method == "POST":
                origin = request.headers.get("origin")
                if origin and origin != "null" and origin.split("://", 1)[-1] != host:
                    raise Refused(403, "this form was sent from another site")
                length = request.headers.get("content-length", "")
                if not length.isdigit():
                    raise Refused(411, "send the form with its length")
                if int(length) > max_upload:
                    raise Refused(413, f"the upload is over {max_upload // 1024} KB")
            return await call_next(request)
        except Refused as exc:
            return HTMLResponse(f"<!doctype html><title>adloc</title><p>{_escape(exc.message)}</p>",
                                exc.status, headers=exc.headers)

    async def form_of(request: Request) -> dict:
        """The posted form after the CSRF check: name -> value (lists for repeated names)."""
        try:
            data = await request.form(max_files=1, max_fields=1000, max_part_size=max_upload)
        except Exception as exc:  # noqa: BLE001 - multipart's own errors: too large, malformed
            raise Refused(400, f"the form could not be read: {exc}") from None
        sent = data.get(CSRF_FIELD)
        guard.check_csrf(request.cookies.get(CSRF_COOKIE), sent if isinstance(sent, str) else None)
        out: dict = {}
        for key, value in data.multi_items():
            if not isinstance(value, str) and key != "spec":
                continue  # a file where text belongs: ignored
            if key == "locales" or key.endswith(".template"):  # checkboxes: every one ticked
                out.setdefault(key, []).append(value)
            else:
                out[key] = value
        return out

    @app.exception_handler(AdlocError)
    async def refused(request: Request, exc: AdlocError):
        return render(request, "message.html", exc.status, title="Not done", message=exc.message)

    # -- jobs ---------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def jobs(request: Request):
        with Session(engine) as session:
            rows = session.scalars(select(JobRow).order_by(JobRow.id.desc()).limit(200)).all()
            counts = _item_counts(session, [r.id for r in rows])
            listed = [_job_summary(r, counts.get(r.id, {})) for r in rows]
        return render(request, "jobs.html", jobs=listed)

    @app.get("/jobs/new", response_class=HTMLResponse)
    def new_job(request: Request):
        return _submit_page(request, {"channel": "social", "locales": [], "rows": "1"}, {})

    def _submit_page(request: Request, form: dict, errors: dict, status: int = 200, upload_errors=()):
        known = _templates(engine)
        slots = sorted({s for slots in known.values() for s in slots}) or ["headline", "cta"]
        return render(request, "new.html", status, form=form, errors=errors, rows=forms.creative_rows(form),
                      templates=known, slots=slots, channels=forms.CHANNELS, locales=_locales(engine, form),
                      upload_errors=list(upload_errors))

    @app.post("/jobs", response_class=HTMLResponse)
    async def submit_form(request: Request):
        form = await form_of(request)
        if form.get("action") == "add":
            form["rows"] = str(forms.creative_rows(form) + 1)
            return _submit_page(request, form, {})
        known = _templates(engine)
        spec, errors = forms.spec_from_form(form, sorted({s for slots in known.values() for s in slots}))
        job = None
        if not errors:
            job, problems = _validated(spec, db_url, "the form")
            errors = forms.field_errors(problems, forms.used_rows(form))
        if errors:
            return _submit_page(request, form, errors, 422)
        return _queue(job)

    @app.post("/jobs/upload", response_class=HTMLResponse)
    async def submit_upload(request: Request):
        form = await form_of(request)
        upload = form.get("spec")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return _submit_page(request, {"rows": "1"}, {}, 422, ["choose a job YAML file to upload"])
        name = Path(upload.filename).name  # shown, never used as a path
        data = await upload.read(max_upload + 1)
        if len(data) > max_upload:
            return _submit_page(request, {"rows": "1"}, {}, 413, [f"{name}: over {max_upload // 1024} KB"])
        try:
            spec = yaml.safe_load(data.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            return _submit_page(request, {"rows": "1"}, {}, 422, [f"{name}: not valid YAML: {exc}"])
        job, problems = _validated(spec, db_url, name)
        if problems:
            return _submit_page(request, {"rows": "1"}, {}, 422, [f"{name}: {p}" for p in problems])
        return _queue(job)

    def _queue(job) -> Response:
        out = f"{out_root.rstrip('/')}/{job.job}-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}"
        job_id = jobs_service.enqueue(engine, job, out)
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: RowId):
        with Session(engine) as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise Refused(404, f"there is no job {job_id}")
            items = session.scalars(select(JobItemRow).where(JobItemRow.job_id == job_id)
                                    .order_by(JobItemRow.locale, JobItemRow.creative, JobItemRow.template)).all()
            summary = _job_summary(row, _item_counts(session, [job_id]).get(job_id, {}))
            gallery: dict[str, list] = {}
            for item in items:
                gallery.setdefault(item.locale, []).append(_item_view(item))
        return render(request, "job.html", job=summary, gallery=gallery)

    @app.get("/jobs/{job_id}/items/{item_id}.png")
    def item_image(job_id: RowId, item_id: RowId):
        from adloc.pipelines.write import output_uri

        with Session(engine) as session:
            item, row = session.get(JobItemRow, item_id), session.get(JobRow, job_id)
            if item is None or row is None or item.job_id != job_id or item.status not in ("approved", "review"):
                raise Refused(404, f"job {job_id} has no image for item {item_id}")
            uri = output_uri(row.out_uri, item.status, item.creative, item.template, item.locale, ".png")
        return Response(_read(uri), media_type="image/png")

    @app.get("/jobs/{job_id}/{name}")
    def job_file(job_id: RowId, name: str):
        if name not in ("manifest.jsonl", "report.html"):  # the only files served by name
            raise Refused(404, f"no {name!r} here")
        with Session(engine) as session:
            row = session.get(JobRow, job_id)
            if row is None or row.status != "done":
                raise Refused(404, f"job {job_id} has no finished output yet")
            out = row.out_uri
        media = "text/html; charset=utf-8" if name.endswith(".html") else "text/plain; charset=utf-8"
        from apache_beam.io.filesystems import FileSystems

        return Response(_read(FileSystems.join(out, name)), media_type=media)

    # -- review -------------------------------------------------------------------------------

    @app.get("/review", response_class=HTMLResponse)
    def review_queue(request: Request):
        entries = review_service.pending(engine)
        with Session(engine) as session:  # the items in one query
            items = {i.id: i for i in session.scalars(
                select(JobItemRow).where(JobItemRow.id.in_([e["item"] for e in entries])))}
        waiting = [{**entry, **_item_view(items[entry["item"]])} for entry in entries]
        return render(request, "review.html", items=waiting, decided=request.query_params.get("decided"))

    @app.post("/review/{item_id}", response_class=HTMLResponse)
    async def review_decide(request: Request, item_id: RowId):
        form = await form_of(request)
        decision = {"approve": "approved", "reject": "rejected"}.get(form.get("decision", ""))
        if decision is None:
            raise Refused(422, "choose approve or reject")
        reviewer = request.state.user or (form.get("reviewer") or "").strip()
        if not reviewer:
            raise Refused(422, "reviewer: say who you are")
        with Session(engine) as session:
            copy = _record(session.get(JobItemRow, item_id)).get("copy", {})
        sent = {slot: (form.get(f"copy.{slot}") or "").strip() for slot in copy if f"copy.{slot}" in form}
        # Only lines the reviewer changed are edits (an emptied line is refused by the service).
        edits = {slot: text for slot, text in sent.items() if text != str(copy[slot].get("text", "")).strip()}
        review_service.decide(engine, item_id, decision, reviewer, (form.get("reason") or "").strip(),
                              edits if decision == "approved" else {})
        return RedirectResponse(f"/review?decided={item_id}", status_code=303)

    return app


def _hostname(host: str) -> str:
    """The name in a Host header, without its port ("[::1]:8000" -> "::1")."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _read(uri: str) -> bytes:
    from adloc.files import read_bytes

    try:
        return read_bytes(uri)
    except OSError:
        raise Refused(404, "that file is not in the output any more") from None


def _record(item: JobItemRow | None) -> dict:
    if item is None or not item.record_uri:
        return {}
    try:
        record = json.loads(_read(item.record_uri))
    except (Refused, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _item_view(item: JobItemRow) -> dict:
    """What a gallery card shows of an item: its copy per slot with how it was made, its checks."""
    record = _record(item)
    copy = {slot: line for slot, line in (record.get("copy") or {}).items() if isinstance(line, dict)}
    image = record.get("image") if isinstance(record.get("image"), dict) else {}

    def named(where: str, checks) -> list[dict]:
        return [{**c, "name": f"{where}: {c.get('name', '?')}"} for c in checks or [] if isinstance(c, dict)]

    checks = [c for slot, line in sorted(copy.items()) for c in named(slot, line.get("checks"))]
    checks += named("image", image.get("checks")) + named("layout", record.get("layout"))
    return {
        "id": item.id, "job_id": item.job_id, "creative": item.creative, "template": item.template,
        "locale": item.locale, "status": item.status, "reason": item.reason,
        "image": bool(record.get("uri")) and item.status != "dead_letter", "uri": record.get("uri", ""),
        "lines": copy, "image_path": image.get("path", ""),
        "failed": [c for c in checks if not c.get("passed")], "passed": sum(bool(c.get("passed")) for c in checks),
    }


def _item_counts(session: Session, job_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    if not job_ids:
        return counts
    stmt = (select(JobItemRow.job_id, JobItemRow.status, func.count()).where(JobItemRow.job_id.in_(job_ids))
            .group_by(JobItemRow.job_id, JobItemRow.status))
    for job_id, status, n in session.execute(stmt):
        counts.setdefault(job_id, {})[status] = n
    return counts


def _job_summary(row: JobRow, counts: dict[str, int]) -> dict:
    total = sum(counts.values())
    spec = json.loads(row.spec)
    expected = total or sum(len(c["template"]) if isinstance(c["template"], list) else 1
                            for c in spec["creatives"]) * len(spec["locales"])
    done = total - counts.get("pending", 0)
    if row.status == "running":
        done = min(_written(row.out_uri), expected)  # the DB learns the items' ends when the run finishes
    return {"id": row.id, "name": row.name, "brand": row.brand, "channel": row.channel, "status": row.status,
            "locales": spec["locales"], "total": expected, "done": done if row.status != "queued" else 0,
            "approved": counts.get("approved", 0), "review": counts.get("review", 0),
            "dead_letter": counts.get("dead_letter", 0), "error": row.error,
            "submitted": row.submitted_at.strftime("%Y-%m-%d %H:%M") if row.submitted_at else ""}


def _written(out: str) -> int:
    """Items a running job has written so far: their records in the output folder or bucket (one
    listing per status folder; a rerun's earlier files count until they are replaced)."""
    from apache_beam.io.filesystems import FileSystems

    patterns = [f"{out.rstrip('/')}/{folder}/*/*/*.json" for folder in ("approved", "review", "dead_letter")]
    try:
        return sum(len(found.metadata_list) for found in FileSystems.match(patterns))
    except Exception:  # noqa: BLE001 - a folder not made yet, a bucket that does not answer: nothing to count
        return 0


def _templates(engine) -> dict[str, list[str]]:
    """template id -> its text slots."""
    with Session(engine) as session:
        return {row.id: [slot.name for slot in row.slots if slot.kind == "text"]
                for row in session.scalars(select(TemplateRow).order_by(TemplateRow.id))}


def _locales(engine, form: dict) -> list[str]:
    """The locales to offer: those the catalog knows (memory, glossary, template hints), the demo's."""
    from adloc.assets_db.schema import GlossaryRow, TMRow

    with Session(engine) as session:
        found = set(session.scalars(select(TMRow.locale).distinct())) | set(session.scalars(select(GlossaryRow.locale).distinct()))
        for spec in session.scalars(select(TemplateRow.spec)):
            found |= set(json.loads(spec).get("locale_hints", {}))
    return sorted(found | set(DEFAULT_LOCALES) | set(form.get("locales") or []))


def _validated(spec, db_url: str, source: str):
    """(the Job, []) when it can be queued, else (None, every 'field: message' it is refused for:
    the spec, then templates and slots)."""
    from adloc.jobspec import JobSpecError

    try:
        return jobs_service.validate(spec, source, db_url), []
    except JobSpecError as exc:
        return None, exc.errors

