"""`adloc review list | show | approve | reject | change | deliver | history`: decisions on items sent to
review, carried through to the output."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict

from adloc.cli.options import add_db, engine
from adloc.errors import AdlocError


def register(sub) -> None:
    review = sub.add_parser("review", help="decide on items sent to review").add_subparsers(
        dest="review_command", required=True)
    rlist = review.add_parser("list", help="items waiting for a decision")
    rlist.add_argument("--job", type=int, help="only this job run's items")
    rlist.add_argument("--json", action="store_true")
    add_db(rlist)
    rlist.set_defaults(func=list_command)
    for command, decision, help_text in (
        ("approve", "approved", "approve an item; its lines enter the translation memory"),
        ("reject", "rejected", "reject an item; it becomes a labelled negative for the eval"),
    ):
        decide = review.add_parser(command, help=help_text + " (one decision per item)")
        decide.add_argument("item", type=int)
        if command == "approve":
            _edit_option(decide)
            _override_option(decide)
        else:
            decide.add_argument("--reason", required=True)
            _wrong_option(decide)
        _reviewer_option(decide)
        decide.set_defaults(func=decide_command, decision=decision)
    change = review.add_parser("change", help="change an item's decision deliberately; the earlier one is kept "
                                              "in its history")
    change.add_argument("item", type=int)
    change.add_argument("decision", choices=("approve", "reject"))
    _edit_option(change)
    _override_option(change)
    _wrong_option(change)
    change.add_argument("--reason", required=True, help="why the decision changes (and, to reject, what is wrong)")
    _reviewer_option(change)
    change.set_defaults(func=change_command)
    show = review.add_parser("show", help="an item waiting for review: each line's best candidate, where it came "
                                          "from, why it waits and the checks it fails")
    show.add_argument("item", type=int)
    show.add_argument("--json", action="store_true")
    add_db(show)
    show.set_defaults(func=show_command)
    again = review.add_parser("deliver", help="carry an item's decision through to the output again (after an "
                                              "interrupted approval; changes nothing when it is there)")
    again.add_argument("item", type=int)
    add_db(again)
    again.set_defaults(func=deliver_command)
    export = review.add_parser("export", help="the lines waiting for review as XLIFF 2.0, for translators in a CAT "
                                              "tool or a translation-management system")
    export.add_argument("--job", type=int, required=True, help="the job run whose waiting lines go out")
    export.add_argument("--locale", help="only this locale's lines (XLIFF holds one target language per file)")
    export.add_argument("--format", choices=("xliff",), default="xliff")
    export.add_argument("--out", help="the file to write (one locale), or a folder for one file per locale "
                                      "(default: stdout for one locale)")
    add_db(export)
    export.set_defaults(func=export_command)
    imp = review.add_parser("import", help="take a translator's XLIFF back: check it and approve the items it "
                                           "translates (a tampered file is refused whole)")
    imp.add_argument("files", nargs="+", metavar="FILE.xlf")
    imp.add_argument("--job", type=int, help="refuse a file for another job run")
    imp.add_argument("--json", action="store_true")
    _reviewer_option(imp)
    imp.set_defaults(func=import_command)
    hist = review.add_parser("history", help="every decision taken on an item, oldest first")
    hist.add_argument("item", type=int)
    hist.add_argument("--json", action="store_true")
    add_db(hist)
    hist.set_defaults(func=history_command)


def _edit_option(parser) -> None:
    parser.add_argument("--edit", action="append", default=[], metavar="SLOT=TEXT", help="the line as it should read")


def _override_option(parser) -> None:
    parser.add_argument("--override", action="store_true",
                        help="approve even where a line fails a critical check or no longer fits (recorded)")


def _wrong_option(parser) -> None:
    parser.add_argument("--wrong", action="append", default=[], metavar="SLOT|image",
                        help="what is wrong (repeatable): a slot's line, or the image; a rejection for the image "
                             "alone is no negative for the copy (default: not said)")


def _reviewer_option(parser) -> None:
    parser.add_argument("--reviewer", default=os.environ.get("USER"), help="who decided (default $USER)")
    add_db(parser)


def list_command(args, _beam_args) -> int:
    from adloc.services import review

    items = review.pending(engine(args), args.job)
    if args.json:
        print(json.dumps(items, indent=2, ensure_ascii=False))
        return 0
    for r in items:
        audit = f"  (audit: {r['reason']})" if r["audit"] else ""
        print(f"{r['item']:>6}  {r['job']}  {r['creative']}  {r['template']}  {r['locale']}  {r['record']}{audit}")
    audits = sum(r["audit"] for r in items)
    print(f"{len(items)} item{'s' if len(items) != 1 else ''} waiting for review"
          + (f", {audits} of them audit samples (shipped; confirm or correct)" if audits else ""))
    return 0


def _edits(pairs: list[str]) -> dict[str, str]:
    edits = {}
    for pair in pairs:
        slot, sep, text = pair.partition("=")
        if not sep or not slot.strip() or not text.strip():
            raise AdlocError(f"edit: {pair!r} is not SLOT=TEXT")
        edits[slot.strip()] = text.strip()
    return edits


def _said(result: dict) -> None:
    print(f"item {result['item']}: {result['decision']}"
          + (f" (revision {result['revision']}, replacing: {result['supersedes']})" if result["supersedes"] else ""))
    for line in result["memory"]:
        print(f"  translation memory: {line['source']!r} -> {line['target']!r}")
    if result.get("delivered"):
        print(f"  {result['delivered']['status']}: {result['delivered']['uri']}")
    elif result["decision"] != "rejected":
        print("  its run kept no picture to set the lines into: a rerun of the job takes them from the memory")


def decide_command(args, _beam_args) -> int:
    from adloc.services import review

    _said(review.decide(engine(args), args.item, args.decision, args.reviewer or "",
                        getattr(args, "reason", "") or "", _edits(getattr(args, "edit", [])),
                        getattr(args, "wrong", []), override=getattr(args, "override", False)))
    return 0


def change_command(args, _beam_args) -> int:
    from adloc.services import review

    decision = {"approve": "approved", "reject": "rejected"}[args.decision]
    _said(review.change(engine(args), args.item, decision, args.reviewer or "", args.reason, _edits(args.edit),
                        args.wrong, override=args.override))
    return 0


def show_command(args, _beam_args) -> int:
    from dataclasses import asdict

    from sqlalchemy.orm import Session

    from adloc.assets_db.schema import JobItemRow
    from adloc.errors import NotFound
    from adloc.services.deliver import suggestions

    with Session(engine(args)) as session:
        item = session.get(JobItemRow, args.item)
        if item is None:
            raise NotFound(f"item {args.item}: there is no item with this number")
        head = {"item": item.id, "creative": item.creative, "template": item.template, "locale": item.locale,
                "status": item.status, "record": item.record_uri}
    lines = suggestions(engine(args), args.item)
    if args.json:
        print(json.dumps({**head, "lines": {slot: {**asdict(s), "failed": [c.to_json() for c in s.failed]}
                                            for slot, s in lines.items()}}, ensure_ascii=False, indent=2))
        return 0
    print(f"item {head['item']}: {head['creative']} / {head['template']} / {head['locale']} ({head['status']})")
    print(f"  image: {head['record'].removesuffix('.json')}.png")
    for slot, s in lines.items():
        print(f"  {slot}:")
        print(f"    source: {s.source}")
        print(f"    start:  {s.text}   [{s.origin}: {s.label}]")
        if s.why:
            print(f"    waits:  {s.why}")
        for check in s.failed:
            print(f"    fails:  {check.name} ({check.severity.value}): {check.detail}")
    print(f"approve with: adloc review approve {head['item']} " + " ".join(
        f"--edit {slot}={_quoted(s.text)}" for slot, s in lines.items()))
    return 0


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def deliver_command(args, _beam_args) -> int:
    from adloc.services.deliver import deliver

    done = deliver(engine(args), args.item)
    print(f"item {done.item}: {done.status.value}: {done.uri}" + ("" if done.changed else " (already so; nothing changed)"))
    return 0


def history_command(args, _beam_args) -> int:
    from adloc.assets_db.lineage import shown
    from adloc.services import review

    decisions = review.history(engine(args), args.item)
    if args.json:
        print(json.dumps([{"revision": d.revision, "decision": d.decision.value, "reviewer": d.reviewer,
                           "face": d.face.value, "reason": d.notes, "decided_at": shown(d.decided_at),
                           "supersedes": d.supersedes} for d in decisions], indent=2, ensure_ascii=False))
        return 0
    for d in decisions:
        print(f"{d.revision:>3}  {d.said()} via {d.face.value}" + (f": {d.notes}" if d.notes else ""))
    print(f"{len(decisions)} decision{'s' if len(decisions) != 1 else ''} on item {args.item}")
    return 0


def export_command(args, _beam_args) -> int:
    from pathlib import Path

    from adloc import locale as loc
    from adloc.files import write_bytes
    from adloc.services import handoff

    locale = None
    if args.locale:
        try:
            locale = loc.canonical(args.locale)
        except ValueError as exc:
            raise AdlocError(f"locale: {exc}") from None
    documents = handoff.export(engine(args), args.job, locale)
    out = Path(args.out) if args.out else None
    if len(documents) == 1 and (out is None or not out.is_dir()):
        (data,) = documents.values()
        if out is None:
            sys.stdout.buffer.write(data)
            return 0
        targets = {out: data}
    elif out is None:
        raise AdlocError(f"job {args.job}'s waiting lines are in {len(documents)} locales "
                         f"({', '.join(documents)}), one XLIFF file each: name a folder to write them to, "
                         "or one locale")
    else:
        out.mkdir(parents=True, exist_ok=True)
        targets = {out / f"job-{args.job}.{tag}.xlf": data for tag, data in documents.items()}
    for path, data in targets.items():
        write_bytes(str(path), data)
        print(f"{path}: {data.count(b'<unit ')} lines")
    return 0


def import_command(args, _beam_args) -> int:
    from pathlib import Path

    from adloc.services import handoff

    results = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise AdlocError(f"{name}: no such file")
        results.append(handoff.import_file(engine(args), path.read_bytes(), name, args.reviewer or "", args.job))
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False))
    for r in results if not args.json else ():
        print(f"{r.file}: job {r.job}: {len(r.approved)} item{'s' if len(r.approved) != 1 else ''} approved")
        for done in r.approved:
            where = f" -> {done['delivered']['uri']}" if done["delivered"] else " (a rerun takes the lines from memory)"
            print(f"  item {done['item']}: {done['decision']}{where}")
        if r.waiting:
            print(f"  still waiting (not translated): {', '.join(r.waiting)}")
        for said in r.decided:
            print(f"  left as it is: {said}")
        for failed in r.failed:
            print(f"  not approved: {failed}")
    return 1 if any(r.failed for r in results) else 0
