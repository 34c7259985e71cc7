"""The eval's summary for people: a precision-recall plot (PNG) and the same tables as Markdown and
as one self-contained HTML page (the `eval.html` template of `adloc.pages`), plus the per-line
results as JSON."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import asdict

from adloc import pages
from adloc.evals.evaluate import LocaleEval
from adloc.files import write_bytes
from adloc.pages import percent

Table = tuple[str, list[str], list[list[str]]]  # (title, header, rows)


def _threshold(e: LocaleEval) -> str:
    return "none reaches it" if e.threshold is None else f"{e.threshold:.3f}"


def _verdict(r) -> str:
    if r.acceptable:
        return "acceptable"
    if r.error:
        return r.error
    return "fails " + ", ".join(r.failed) if r.failed else "chrF below the bar"


def tables(evals: list[LocaleEval]) -> list[Table]:
    """The summary as tables: one row or column per evaluated (locale, version)."""
    heads = [f"{e.locale} {e.version}" for e in evals]
    overview = ("Overview", ["locale", "version", "lines", "chrF", "acceptable", "cut off", "threshold", "coverage",
                             "precision", "lines shipped", "references passing the checks", "seconds"],
                [[e.locale, e.version, str(len(e.lines)), f"{e.chrf:.1f}", percent(e.acceptable), percent(e.cut_off),
                  _threshold(e), percent(e.coverage), percent(e.precision), str(round(e.coverage * len(e.lines))),
                  percent(e.references_pass), f"{e.seconds:.0f}"]
                 for e in evals])
    names = list(dict.fromkeys(n for e in evals for n in e.pass_rates))
    critical = set().union(*(e.critical for e in evals)) if evals else set()
    passes = ("Check pass rates of the model's lines", ["check", *heads],
              [[n + (" (critical)" if n in critical else ""), *(percent(e.pass_rates.get(n)) for e in evals)]
               for n in names])
    first: list[LocaleEval] = []  # the labelled set's results: once per locale
    for e in evals:
        if e.locale not in {f.locale for f in first}:
            first.append(e)
    recall_rows = []
    for e in first:
        lab = e.labelled
        alarms = lab.get("false_alarms_by_check", {})
        for name in sorted(set(lab.get("recall", {})) | set(alarms)):
            r = lab.get("recall", {}).get(name, {"caught": 0, "total": 0})
            recall_rows.append([e.locale, name, f"{r['caught']}/{r['total']}" if r["total"] else "–",
                                f"{alarms.get(name, 0)}/{lab.get('good', 0)}"])
        recall_rows.append([e.locale, "any check", f"{lab.get('caught', 0)}/{lab.get('bad', 0)}",
                            f"{len(lab.get('false_alarms', []))}/{lab.get('good', 0)}"])
    recall = ("Checks on the labelled set", ["locale", "check", "caught / labelled bad", "false alarms / good lines"],
              recall_rows)
    out = [overview, passes, recall]
    for e in first:
        missed = e.labelled.get("missed", []) + [
            {"id": f["id"], "expect": "good", "target": f["target"], "note": "flagged by " + ", ".join(f["checks"])}
            for f in e.labelled.get("false_alarms", [])]
        if missed:
            out.append((f"{e.locale}: labelled lines the checks got wrong", ["id", "label", "target", "why"],
                        [[m["id"], m["expect"], m["target"], m["note"]] for m in missed]))
    for e in evals:
        best = sorted(e.lines, key=lambda r: -r.confidence)[:12]
        out.append((f"{e.locale} {e.version}: the most confident lines", ["confidence", "source", "output", "reference",
                                                                          "chrF", "verdict"],
                    [[f"{r.confidence:.3f}", r.source, r.output, r.reference, f"{r.chrf:.0f}", _verdict(r)]
                     for r in best]))
    return out


def plot(evals: list[LocaleEval]) -> bytes:
    """Precision against recall and against coverage, one line per (locale, version), the target
    precision dashed and the chosen threshold marked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.6), dpi=100)
    left, right = fig.subplots(1, 2)
    for e in evals:
        label = f"{e.locale} {e.version}"
        recall = [p.recall for p in e.curve]
        coverage = [p.coverage for p in e.curve]
        precision = [p.precision for p in e.curve]
        (line,) = left.plot(recall, precision, marker=".", label=label)
        right.plot(coverage, precision, marker=".", color=line.get_color(), label=label)
        if e.threshold is not None:
            chosen = next(p for p in e.curve if p.threshold == e.threshold)
            left.plot([chosen.recall], [chosen.precision], "o", ms=10, mfc="none", color=line.get_color())
            right.plot([chosen.coverage], [chosen.precision], "o", ms=10, mfc="none", color=line.get_color())
    target = evals[0].target_precision if evals else 0.95
    for ax, xlabel in ((left, "recall (share of acceptable lines shipped)"), (right, "coverage (share of all lines shipped)")):
        ax.axhline(target, ls="--", color="grey", lw=1)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("precision")
        ax.grid(alpha=0.3)
    left.set_title("gate precision-recall (ship when confidence >= t)")
    right.set_title(f"coverage; dashed: target precision {target:.2f}")
    if evals:
        right.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def markdown(title: str, evals: list[LocaleEval], notes: list[str], png_name: str) -> str:
    lines = [f"# {title}", "", *notes, "", f"![precision-recall]({png_name})", ""]
    for name, header, rows in tables(evals):
        lines += [f"## {name}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(" ".join(c.split()).replace("|", "\\|") for c in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def page(title: str, evals: list[LocaleEval], notes: list[str], png: bytes) -> str:
    """The HTML page: the `eval.html` template over `tables`, with the plot inline."""
    return pages.render("eval.html", title=title, notes=notes, png=base64.b64encode(png).decode(),
                        tables=[{"name": name, "header": header, "rows": rows}
                                for name, header, rows in tables(evals)])


def write(out: str, title: str, evals: list[LocaleEval], notes: list[str], stem: str = "eval") -> dict[str, str]:
    """Write <stem>.png, <stem>.md, <stem>.html and <stem>.json into folder `out`; returns their paths."""
    from apache_beam.io.filesystems import FileSystems

    png = plot(evals)
    paths = {kind: FileSystems.join(out, f"{stem}.{kind}") for kind in ("png", "md", "html", "json")}
    write_bytes(paths["png"], png)
    write_bytes(paths["md"], markdown(title, evals, notes, f"{stem}.png").encode())
    write_bytes(paths["html"], page(title, evals, notes, png).encode())
    detail = [{**e.summary(), "lines": [asdict(r) for r in e.lines]} for e in evals]
    write_bytes(paths["json"], json.dumps({"title": title, "notes": notes, "evals": detail}, indent=1,
                                          ensure_ascii=False).encode())
    return paths
