"""`adloc serve`: the web app over the job queue."""

from __future__ import annotations

import os

from adloc.cli.options import add_db, db_url, engine, out_uri
from adloc.errors import AdlocError


def register(sub) -> None:
    serve = sub.add_parser("serve", help="the web app: submit jobs, follow them, review items")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (another than this machine's needs ADLOC_WEB_TOKEN)")
    serve.add_argument("--port", type=int, default=8000)
    add_db(serve)
    serve.add_argument("--out-root", default="out/jobs", help="folder or bucket URI under which each submitted job writes")
    serve.add_argument("--copy-model", default="embedded",
                       help="the copy model the submitted jobs run with: 'embedded', a name, a folder or a .gguf")
    serve.set_defaults(func=serve_command)


def serve_command(args, _beam_args) -> int:
    """The web app on HOST:PORT; anything but this machine needs ADLOC_WEB_TOKEN."""
    import uvicorn

    from adloc.web.app import create_app
    from adloc.web.security import LOCAL_HOSTS

    token = os.environ.get("ADLOC_WEB_TOKEN", "").strip() or None
    if args.host not in LOCAL_HOSTS and not token:
        raise AdlocError(f"host {args.host}: serving other machines needs a sign-in token: set ADLOC_WEB_TOKEN "
                         "(people sign in with their name and that token)")
    from adloc.services.jobs import ModelOptions, check_models
    from adloc.services.review import Reviewers

    reviewers = Reviewers.parse(os.environ.get("ADLOC_REVIEWERS"))
    if reviewers and not token:
        raise AdlocError("ADLOC_REVIEWERS: reviewers are limited to their locales only behind a sign-in; "
                         "set ADLOC_WEB_TOKEN too")

    engine(args)  # the database is there and at this version's schema
    options = ModelOptions(copy_model=args.copy_model)
    check_models(options, db_url(args))  # what the worker will load is there
    app = create_app(db_url(args), out_uri(args.out_root), token=token, options=options,
                     reviewers=reviewers)
    print(f"adloc serving http://{args.host}:{args.port}/ ({'sign-in with ADLOC_WEB_TOKEN' if token else 'this machine only'}); "
          "run `adloc worker` beside it to run what is queued", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
