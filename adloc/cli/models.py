"""`adloc models fetch` (the embedded copy models, and the vision models every fetch brings) and
`adloc models list` (the model registry)."""

from __future__ import annotations

import json

from adloc.cli.options import add_db, engine, iso_date, probability


def register(sub) -> None:
    models = sub.add_parser("models", help="manage models").add_subparsers(dest="models_command", required=True)
    from adloc.models import embedded

    fetch = models.add_parser("fetch", help="fetch an embedded copy model into $ADLOC_HOME (default: the embedded "
                                            f"default, {embedded.DEFAULT}), and the vision models (the person "
                                            "segmenter that mattes talent photos) if they are not there")
    fetch.add_argument("name", nargs="*", default=["embedded"], metavar="NAME",
                       help=f"embedded models to fetch: {', '.join(embedded.MODELS)}, or vision (default: embedded)")
    fetch.add_argument("--force", action="store_true", help="fetch and convert again even if it is there")
    fetch.set_defaults(func=fetch_command)
    ls = models.add_parser("list", help="copy-model versions per locale: champion, candidates, thresholds")
    ls.add_argument("--locale")
    ls.add_argument("--json", action="store_true")
    add_db(ls)
    ls.set_defaults(func=list_command)
    live = models.add_parser("live", help="what shipped, as reviewers audited it: live precision (Wilson 95%%), "
                                          "coverage and the trend per week, per model, gate and locale")
    live.add_argument("--locale")
    live.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help="runs on or after this date")
    live.add_argument("--json", action="store_true")
    add_db(live)
    live.set_defaults(func=live_command)
    shadow = models.add_parser("shadow", help="run a candidate copy-model version or learned gate beside a locale's "
                                              "champion on a share of its items (recorded, never shipped); "
                                              "without --candidate or --stop: list the shadows running")
    shadow.add_argument("--locale")
    shadow.add_argument("--candidate", metavar="VERSION",
                        help="a model version of the locale (`adloc models list`) or a gate version (gate@...)")
    shadow.add_argument("--share", type=probability, default=0.1,
                        help="share of the locale's items it runs on, chosen by the item and the job (default 0.1)")
    shadow.add_argument("--stop", action="store_true", help="stop the locale's shadow")
    add_db(shadow)
    shadow.set_defaults(func=shadow_command)


def fetch_command(args, _beam_args) -> int:
    from adloc.models import embedded, vision

    chosen = [embedded.get(name) for name in args.name if name != "vision"]  # every name checked first
    for model in chosen:
        print(f"embedded copy model {model.name} ready: {embedded.fetch(model.name, force=args.force)}")
    print(f"vision models ready: {vision.fetch(force=args.force and 'vision' in args.name)}")
    return 0


def list_command(args, _beam_args) -> int:
    from adloc.assets_db import registry

    rows = registry.versions(engine(args), args.locale)
    if args.json:
        print(json.dumps([{"locale": v.locale, "version": v.version, "status": v.status, "adapter": v.adapter,
                           "threshold": v.threshold, "target_precision": v.target_precision,
                           "coverage": v.eval.get("coverage"), "chrf": v.eval.get("chrf"),
                           "report": v.eval.get("report")} for v in rows], indent=2))
        return 0
    for v in rows:
        threshold = "none" if v.threshold is None else f"{v.threshold:.3f}"
        print(f"{v.locale:<7} {v.status:<9} {v.version:<52} threshold {threshold:<6} "
              f"coverage {v.eval.get('coverage', 0):.1%} chrF {v.eval.get('chrf', 0):.1f}")
    if not rows:
        print("no model versions yet: run `adloc eval`")
    return 0


def _locale(tag: str | None) -> str | None:
    from adloc.errors import AdlocError
    from adloc.locale import canonical

    try:
        return canonical(tag) if tag else None
    except ValueError as exc:
        raise AdlocError(f"locale: {exc}") from None


def live_command(args, _beam_args) -> int:
    from datetime import date

    from adloc.services import live

    where = _locale(args.locale)
    since = date.fromisoformat(args.since) if args.since else None
    db = engine(args)
    found, shadows, tightened = live.report(db, where, since), live.shadow_report(db, where, since), live.tightened(db, where)
    if args.json:
        print(json.dumps({"models": [f.to_json() for f in found], "shadows": [f.to_json() for f in shadows],
                          "tightened": [t.to_json() for t in tightened]}, indent=2, ensure_ascii=False))
        return 0
    for f in found:
        p = f.precision
        precision = f"{p.share:.1%} [{p.low:.1%}, {p.high:.1%}]" if p.audited else "no audited line yet"
        coverage = f"{f.coverage:.1%}" if f.coverage is not None else "-"
        print(f"{f.locale:<7} {f.copy_model}  gate {f.gate or '-'}")
        print(f"        audited {p.audited} lines, confirmed {p.confirmed}: live precision {precision}; "
              f"coverage {coverage} ({f.gate_passed} of {f.model_lines} model lines shipped unseen)")
        for w in f.weeks:
            print(f"        {w.week}: {w.precision.confirmed}/{w.precision.audited} confirmed")
    if not found:
        print("no model lines in finished runs yet" + (f" for {where}" if where else ""))
    for t in tightened:
        print(f"TIGHTENED {t.locale} {t.copy_model} gate {t.gate} since {t.set_at:%Y-%m-%d %H:%M} UTC: "
              f"{t.confirmed}/{t.audited} confirmed, live precision at most {t.high:.1%} < target "
              f"{t.target_precision:.0%}; every model line goes to review until recalibrated")
    for f in shadows:
        print(f"shadow  {f.locale} {f.candidate.version} beside {f.champion.version} (gate {f.gate})")
        for side, v in (("champion ", f.champion), ("candidate", f.candidate)):
            p = v.precision
            agreement = f"{v.agreement:.1%}" if v.agreement is not None else "-"
            precision = f"{p.share:.1%} [{p.low:.1%}, {p.high:.1%}]" if p.audited else "-"
            coverage = f"{v.coverage:.1%}" if v.coverage is not None else "-"
            print(f"        {side} agreement {agreement} ({v.agreed}/{v.decided} decided lines); live precision "
                  f"{precision}; shipped but corrected {v.shipped_corrected}, held but fine {v.held_fine}; "
                  f"coverage {coverage} ({v.passed}/{v.lines})")
        print(f"        {f.said()}")
    return 0


def shadow_command(args, _beam_args) -> int:
    from adloc.assets_db import registry
    from adloc.errors import AdlocError

    where = _locale(args.locale)
    if args.candidate or args.stop:
        if not where:
            raise AdlocError("locale: say which locale's shadow (--locale)")
        if args.stop and args.candidate:
            raise AdlocError(f"--stop and --candidate {args.candidate}: stop the shadow, or set a candidate, not both")
        if args.stop:
            stopped = registry.stop_shadow(engine(args), where)
            print(f"{where}: stopped the shadow of {stopped.candidate}" if stopped else f"{where}: no shadow running")
            return 0
        s = registry.set_shadow(engine(args), where, args.candidate, args.share)
        print(f"{where}: {s.kind} candidate {s.candidate} runs in the champion's shadow on {s.share:.0%} of the "
              "items from the next run on (recorded, never shipped; `adloc models live` scores it)")
        return 0
    running = registry.shadows(engine(args), [where] if where else None)
    for s in running.values():
        print(f"{s.locale:<7} {s.kind:<5} {s.candidate} on {s.share:.0%} of the items since {s.started_at:%Y-%m-%d}")
    if not running:
        print("no shadow running")
    return 0
