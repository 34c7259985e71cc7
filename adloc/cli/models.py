"""`adloc models fetch` (the embedded copy models, and the vision models every fetch brings) and
`adloc models list` (the model registry)."""

from __future__ import annotations

import json

from adloc.cli.options import add_db, engine


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
