"""`adloc serve`: a small web app over the job queue for the marketing team. Server-rendered
pages (Jinja): submit a job (a form, or a job YAML), follow jobs, look at what each item became,
and decide on the items waiting for review. `adloc worker` runs what is queued."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import yaml
from fastapi import FastAPI, Query, Request
from fastapi import Path as Id
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from adloc.errors import AdlocError, Conflict, Forbidden, InvalidFields, NotFound
from adloc.pages import environment as page_environment
from adloc.records import Channel, Face
from adloc.services import database, gallery
from adloc.services import deliver as delivery
from adloc.services import jobs as jobs_service
from adloc.services import review as review_service
from adloc.web import forms
from adloc.web.security import CSRF_COOKIE, CSRF_FIELD, LOCAL_HOSTS, Guard, Refused, new_cookie

MAX_UPLOAD = 256 * 1024  # a job YAML is a few kilobytes
RowId = Annotated[int, Id(ge=1, le=2**31 - 1)]  # a row id: an integer the database can hold


def create_app(db_url: str, out_root: str, token: str | None = None, secret: bytes | None = None,
               max_upload: int = MAX_UPLOAD, options: jobs_service.ModelOptions | None = None,
               reviewers: review_service.Reviewers | None = None) -> FastAPI:
    """The app over the asset database at `db_url`; a submitted job writes to
    `out_root/<job>-<time>` (a folder or bucket URI) and runs with the models of `options`
    (default: the embedded ones). `reviewers` (with a `token` only: without one nobody signs in)
    limits each signed-in reviewer's decisions to their locales."""
    options = options or jobs_service.ModelOptions()
    reviewers = reviewers if token and reviewers else review_service.Reviewers({})
    guard = Guard(token, secret) if secret else Guard(token)
    engine = database(db_url)
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
            if key in ("locales", "wrong") or key.endswith(".template"):  # checkboxes: every one ticked
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
        return render(request, "jobs.html", jobs=gallery.jobs(engine))

    @app.get("/models/live", response_class=HTMLResponse)
    def live_report(request: Request, locale: str | None = None, since: str | None = None):
        from datetime import date

        from adloc.services import live

        try:
            day = date.fromisoformat(since) if since else None
        except ValueError:
            raise InvalidFields("/models/live", [f"since: {since!r} is not a date (YYYY-MM-DD)"]) from None
        from adloc import locale as loc

        try:
            where = loc.canonical(locale) if locale else None
        except ValueError as exc:
            raise InvalidFields("/models/live", [f"locale: {exc}"]) from None
        return render(request, "live.html", rows=live.report(engine, where, day), since=day,
                      shadows=live.shadow_report(engine, where, day), tightened=live.tightened(engine, where))

    @app.get("/jobs/new", response_class=HTMLResponse)
    def new_job(request: Request):
        return _submit_page(request, {"channel": Channel.SOCIAL.value, "locales": [], "rows": "1"}, {})

    def _submit_page(request: Request, form: dict, errors: dict, status: int = 200, upload_errors=()):
        known = gallery.template_slots(engine)
        slots = sorted({s for slots in known.values() for s in slots}) or ["headline", "cta"]
        return render(request, "new.html", status, form=form, errors=errors, rows=forms.creative_rows(form),
                      templates=known, slots=slots, channels=forms.CHANNELS,
                      locales=gallery.locales_offered(engine, form.get("locales") or []),
                      upload_errors=list(upload_errors))

    @app.post("/jobs", response_class=HTMLResponse)
    async def submit_form(request: Request):
        form = await form_of(request)
        if form.get("action") == "add":
            form["rows"] = str(forms.creative_rows(form) + 1)
            return _submit_page(request, form, {})
        known = gallery.template_slots(engine)
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
        job_id = jobs_service.enqueue(engine, job, out, options=options)
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: RowId):
        summary, cards = gallery.job(engine, job_id)
        return render(request, "job.html", job=summary, gallery=cards)

    @app.get("/jobs/{job_id}/items/{item_id}.png")
    def item_image(job_id: RowId, item_id: RowId):
        return Response(gallery.item_image(engine, job_id, item_id), media_type="image/png")

    @app.get("/jobs/{job_id}/{name}")
    def job_file(job_id: RowId, name: str):
        media = "text/html; charset=utf-8" if name.endswith(".html") else "text/plain; charset=utf-8"
        return Response(gallery.job_file(engine, job_id, name), media_type=media)

    # -- review -------------------------------------------------------------------------------

    @app.get("/review", response_class=HTMLResponse)
    def review_queue(request: Request):
        mine = reviewers.of(request.state.user)
        items = gallery.review_queue(engine, mine)
        exports: dict = {}
        for c in items:  # one XLIFF file per job and locale, for translators in a CAT tool
            if c["audit"]:  # audit samples are confirmed here or with `adloc review`, not in a CAT tool
                continue
            key = (c["job_id"], c["locale"])
            exports.setdefault(key, {"job_id": c["job_id"], "job": c["job"], "locale": c["locale"], "waiting": 0})
            exports[key]["waiting"] += 1
        return render(request, "review.html", items=items, exports=sorted(exports.values(), key=lambda e: (
            -e["job_id"], e["locale"])), mine=sorted(mine) if mine is not None else None,
            decided=request.query_params.get("decided"))

    @app.get("/review/export")
    def review_export(request: Request, job: Annotated[int, Query(ge=1, le=2**31 - 1)], locale: str):
        from adloc import locale as loc
        from adloc.services import handoff

        try:
            tag = loc.canonical(locale)
        except ValueError as exc:
            raise AdlocError(f"locale: {exc}") from None
        _may_review(request, tag)
        (data,) = handoff.export(engine, job, tag).values()
        return Response(data, media_type="application/xliff+xml", headers={
            "Content-Disposition": f'attachment; filename="job-{job}.{tag}.xlf"'})

    @app.post("/review/{item_id}", response_class=HTMLResponse)
    async def review_decide(request: Request, item_id: RowId):
        form = await form_of(request)
        action = form.get("decision", "")
        decision = {"approve": "approved", "reject": "rejected"}.get(action)
        if decision is None and action != "preview":
            raise Refused(422, "choose preview, approve or reject")
        reviewer = request.state.user or (form.get("reviewer") or "").strip()
        lines = {key.removeprefix("copy."): value.strip() for key, value in form.items()
                 if key.startswith("copy.") and isinstance(value, str)}  # as shown, or as the reviewer edited them
        if action == "preview":  # the edited lines checked and set into the picture, nothing recorded
            _may_review(request, gallery.item_locale(engine, item_id))
            shown = delivery.preview(engine, item_id, lines)
            return _review_page(request, item_id, lines, shown, form)
        try:
            review_service.decide(engine, item_id, decision, reviewer, (form.get("reason") or "").strip(),
                                  lines if decision == "approved" else {},
                                  form.get("wrong", []) if decision == "rejected" else None,
                                  override=decision == "approved" and form.get("override") == "yes",
                                  face=Face.WEB, locales=reviewers.of(request.state.user))
        except AdlocError as exc:
            if decision != "approved" or isinstance(exc, (NotFound, Conflict, Forbidden)):
                raise
            # Refused lines: the form again, as edited, with why and the checks each line fails now.
            try:
                shown = delivery.preview(engine, item_id, lines)
            except AdlocError:
                raise exc from None
            return _review_page(request, item_id, lines, shown, form, problem=exc.message, status=exc.status)
        return RedirectResponse(f"/review?decided={item_id}", status_code=303)

    def _may_review(request: Request, locale: str) -> None:
        mine = reviewers.of(request.state.user)
        if mine is not None and locale not in mine:
            raise Forbidden(f"{request.state.user} reviews {', '.join(sorted(mine)) or 'no locale'} only, not {locale} "
                            "(ADLOC_REVIEWERS)")

    def _review_page(request: Request, item_id: int, lines: dict, shown, form: dict, problem: str = "",
                     status: int = 200) -> HTMLResponse:
        import base64

        cards = [c for c in gallery.review_queue(engine, reviewers.of(request.state.user)) if c["id"] == item_id]
        if not cards:
            raise NotFound(f"item {item_id}: no item waiting for review has this number")
        card = {**cards[0], "edited": lines, "checked": shown.failed, "layout_failed": shown.layout,
                "needs_override": shown.needs_override, "reason_given": form.get("reason") or "",
                "reviewer_given": form.get("reviewer") or "",
                "preview": base64.b64encode(shown.png).decode()}
        return render(request, "review.html", status, items=[card], problem=problem, one=True)

    return app


def _hostname(host: str) -> str:
    """The name in a Host header, without its port ("[::1]:8000" -> "::1")."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _validated(spec, db_url: str, source: str):
    """(the Job, []) when it can be queued, else (None, every 'field: message' it is refused for:
    the spec, then templates and slots)."""
    from adloc.jobspec import JobSpecError

    try:
        return jobs_service.validate(spec, source, db_url), []
    except JobSpecError as exc:
        return None, exc.errors

