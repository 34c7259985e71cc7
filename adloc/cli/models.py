"""`adloc models fetch` (the embedded copy models, and the vision models every fetch brings) and
`adloc models list` (the model registry)."""

from __future__ import annotations

import json

from adloc.cli.options import add_db, engine, iso_date


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


def live_command(args, _beam_args) -> int:
    from datetime import date

    from adloc.services import live

    found = live.report(engine(args), args.locale, date.fromisoformat(args.since) if args.since else None)
    if args.json:
        print(json.dumps([f.to_json() for f in found], indent=2, ensure_ascii=False))
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
        print("no model lines in finished runs yet" + (f" for {args.locale}" if args.locale else ""))
    return 0
