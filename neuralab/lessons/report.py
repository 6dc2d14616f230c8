"""``report.html``: every lesson's claims, numbers, verdicts and figures on one page.

The page is self-contained (inline CSS, no script, no network); figures are the PNGs
beside it (``NAME/figures/*.png``), linked relatively so the folder can be moved whole.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from neuralab.io import atomic_write_bytes
from neuralab.lessons.seed_figures import NOT_DRAWN, SEED_FIGURES, coverage

COLOURS = {"holds": "#1a7f37", "partly": "#b26b00", "fails": "#c62828"}

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin-bottom:.3em} code,.ref{font-family:ui-monospace,monospace;font-size:.9em}
.verdict{display:inline-block;color:#fff;border-radius:4px;padding:0 .5em;font-weight:600;font-size:.9em}
.claim{border:1px solid #ddd;border-left:6px solid #999;border-radius:4px;padding:.6em 1em;margin:1em 0}
.claim p{margin:.3em 0} table{border-collapse:collapse;margin:.4em 0}
td,th{border:1px solid #ddd;padding:.15em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5} td.num{text-align:right;font-family:ui-monospace,monospace}
.figures img{max-width:100%;border:1px solid #eee;margin:.4em 0}
.error{background:#fdecea;border:1px solid #c62828;padding:.5em;white-space:pre-wrap;font-family:monospace}
.checks{font-size:.9em;color:#444} nav ul{columns:2}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _badge(verdict: str) -> str:
    return f'<span class="verdict" style="background:{COLOURS[verdict]}">{_e(verdict)}</span>'


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        text = json.dumps(value if len(value) <= 12 else value[:12] + ["..."])
        return text if len(text) < 160 else text[:157] + "..."
    return str(value)


def _measured_table(measured: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td><code>{_e(k)}</code></td><td class='num'>{_e(_number(v))}</td></tr>" for k, v in measured.items())
    return f"<table><tr><th>measured</th><th>value</th></tr>{rows}</table>"


def _claim_html(lesson: str, claim: dict[str, Any]) -> str:
    colour = COLOURS[claim["verdict"]]
    parts = [
        f'<div class="claim" id="{_e(lesson)}-{_e(claim["id"])}" style="border-left-color:{colour}">',
        f'<h3>{_e(claim["id"])} {_badge(claim["verdict"])} <span class="ref">{_e(claim["seed_ref"])}</span></h3>',
        f'<p><b>The seed says:</b> {_e(claim["claim"])}</p>',
        _measured_table(claim["measured"]),
        f'<p><b>Rule:</b> <code>{_e(claim["rule"])}</code> &rarr; {_badge(claim["verdict"])}</p>',
    ]
    if claim.get("correction"):
        label = "Condition" if claim["verdict"] == "holds" else "What is true instead"
        parts.append(f'<p><b>{label}:</b> {_e(claim["correction"])}</p>')
    if claim.get("fix"):
        fix = claim["fix"]
        parts.append(f'<p><b>The fix, measured:</b> <code>{_e(fix["rule"])}</code> {_badge(fix["verdict"])}</p>')
        parts.append(_measured_table(fix["measured"]))
    if claim["figures"]:
        images = "".join(f'<img src="{_e(lesson)}/{_e(f)}" alt="{_e(claim["id"])}: {_e(f)}">' for f in claim["figures"])
        parts.append(f'<div class="figures">{images}</div>')
    parts.append("</div>")
    return "\n".join(parts)


def _lesson_html(record: dict[str, Any]) -> str:
    name = record["name"]
    head = (f'<h2 id="{_e(name)}">{_e(record["title"])} <span class="ref">{_e(record["section"])}</span></h2>'
            f'<p class="checks">lesson <code>{_e(name)}</code>, engine {_e(record["engine"])}, seed {record["seed"]}, '
            f'{"quick" if record["quick"] else "full"} mode, {record["seconds"]:.1f} s</p>')
    if record.get("error"):
        return head + f'<div class="error">This lesson crashed:\n{_e(record["error"])}</div>'
    body = [head] + [_claim_html(name, c) for c in record["claims"]]
    if record["checks"]:
        items = "".join(f'<li>{"&#10003;" if c["passed"] else "&#10007; FAILED"} {_e(c["name"])}'
                        f'{" &mdash; " + _e(c["detail"]) if c["detail"] and not c["passed"] else ""}</li>'
                        for c in record["checks"])
        body.append(f'<div class="checks"><b>The lesson\'s own checks</b><ul>{items}</ul></div>')
    return "\n".join(body)


def _contents(records: list[dict[str, Any]]) -> str:
    by_part: dict[str, list[str]] = {}
    for r in records:
        links = " ".join(f'<a href="#{_e(r["name"])}-{_e(c["id"])}" style="color:{COLOURS[c["verdict"]]}">{_e(c["id"])}</a>'
                         for c in r["claims"])
        status = " (crashed)" if r.get("error") else ""
        by_part.setdefault(r["part"], []).append(
            f'<li><a href="#{_e(r["name"])}">{_e(r["title"])}</a> <span class="ref">{_e(r["section"])}</span>{status}: {links}</li>')
    return "".join(f"<h3>{_e(part)}</h3><ul>{''.join(items)}</ul>" for part, items in by_part.items())


def _summary(records: list[dict[str, Any]]) -> str:
    counts = {"holds": 0, "partly": 0, "fails": 0}
    rows = []
    for r in records:
        mine = {"holds": 0, "partly": 0, "fails": 0}
        for c in r["claims"]:
            counts[c["verdict"]] += 1
            mine[c["verdict"]] += 1
        status = "crashed" if r.get("error") else "ok" if r["ok"] else "a check failed"
        rows.append(f'<tr><td><a href="#{_e(r["name"])}">{_e(r["name"])}</a></td><td class="num">{len(r["claims"])}</td>'
                    + "".join(f'<td class="num">{mine[v]}</td>' for v in mine)
                    + f'<td class="num">{r["seconds"]:.1f}</td><td>{status}</td></tr>')
    total = sum(counts.values())
    table = ("<table><tr><th>lesson</th><th>claims</th><th>holds</th><th>partly</th><th>fails</th><th>seconds</th>"
             f"<th>status</th></tr>{''.join(rows)}</table>")
    return (f"<p>{total} claim{'s' if total != 1 else ''} from {len(records)} lesson{'s' if len(records) != 1 else ''}: "
            + ", ".join(f"{_badge(v)} {n}" for v, n in counts.items())
            + ". A claim <i>fails</i> when the seed's statement does not survive the measurement; each such claim "
            "says what is true instead, and where the lesson has a fix, the fix is measured too.</p>" + table)


def _seed_figures(records: list[dict[str, Any]]) -> str:
    """Every figure type of the seed, with the lesson figures that draw it from measured data."""
    found = coverage(records)
    rows = []
    for key, what in SEED_FIGURES.items():
        if found[key]:
            cell = " ".join(f'<a href="{_e(path)}">{_e(path)}</a>' for path in found[key])
        else:
            cell = f"<i>not drawn: {_e(NOT_DRAWN.get(key, 'no lesson in this report draws it'))}</i>"
        rows.append(f"<tr><td>{_e(key)}</td><td>{_e(what)}</td><td>{cell}</td></tr>")
    drawn = sum(bool(v) for v in found.values())
    return (f'<h2 id="seed-figures">The seed\'s figures</h2><p>{drawn} of {len(SEED_FIGURES)} figure types of the '
            "curriculum are drawn here from measured data (inventory section 6; V1-V58 are 004's figures, CM the "
            "confusion matrix 003 asks for).</p><table><tr><th>type</th><th>what the seed draws</th>"
            f"<th>drawn by</th></tr>{''.join(rows)}</table>")


def render(records: list[dict[str, Any]]) -> str:
    """The report page as a string."""
    mode = "quick" if records and all(r["quick"] for r in records) else "full"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>neuralab: the curriculum, verified</title>", f"<style>{STYLE}</style></head><body>",
        "<h1>The curriculum, verified</h1>",
        f"<p>Every claim below was measured by <code>neuralab verify</code> ({mode} mode). "
        "Each states what the seed says, in our words, with its line reference "
        "(<code>004:1010-1070</code> is lines 1010-1070 of seed 004), the numbers measured, the rule that "
        "turns them into a verdict, and the figures.</p>",
        _summary(records), '<nav><h2 id="contents">Contents</h2>', _contents(records), "</nav>",
        *[_lesson_html(r) for r in records], _seed_figures(records), "</body></html>",
    ])


def write_report(records: list[dict[str, Any]], path: str | Path) -> Path:
    path = Path(path)
    atomic_write_bytes(path, render(records).encode("utf-8"))
    return path


# Every experiment and discrepancy of the curriculum checklist (seed-inventory sections 4 and 9.2).
INVENTORY_IDS = tuple(f"E{i}" for i in range(1, 61)) + tuple(f"D{i}" for i in range(2, 24))

# Inventory ids that no measurement can decide, and why (docs/lessons.md gives the mapping).
NOT_MEASURED = {
    "D23": "004 points to \"Section 8\" ... \"Section 13-14\" (004:1787-2035, 7121-7141) but numbers none of its "
           "headings: a defect of the text's cross-references, not a claim about networks. The lessons cite line "
           "ranges instead, and docs/course-notes.md maps each \"Section N\" to its lines and lessons",
}


def curriculum_map(records: list[dict[str, Any]]) -> str:
    """Markdown: every inventory id -> the lesson that measures it -> its verdict."""
    found: dict[str, list[str]] = {}
    for r in records:
        for c in r["claims"]:
            found.setdefault(c["id"], []).append(f"`{r['name']}` | **{c['verdict']}** | {c['seed_ref']}")
    lines = ["| id | lesson | verdict | seed lines |", "|---|---|---|---|"]
    for key in INVENTORY_IDS:
        missing = [f"— | not measured: {NOT_MEASURED[key]} | —"] if key in NOT_MEASURED else ["— | not yet measured | —"]
        for row in found.get(key, missing):
            lines.append(f"| {key} | {row} |")
    covered = sum(key in found for key in INVENTORY_IDS)
    figures = coverage(records)
    figure_lines = ["| figure | what the seed draws | drawn by |", "|---|---|---|"]
    for key, what in SEED_FIGURES.items():
        drawn = ", ".join(f"`{path}`" for path in figures[key]) or f"not drawn: {NOT_DRAWN.get(key, 'no lesson here')}"
        figure_lines.append(f"| {key} | {what} | {drawn} |")
    drawn_count = sum(bool(v) for v in figures.values())
    return (f"{covered} of {len(INVENTORY_IDS)} inventory ids have a measured verdict.\n\n" + "\n".join(lines) + "\n\n"
            f"{drawn_count} of {len(SEED_FIGURES)} seed figure types are drawn from measured data.\n\n"
            + "\n".join(figure_lines) + "\n")
