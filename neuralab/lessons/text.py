"""A lesson record as readable text (the terminal's and the notebook's view of lesson.json)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

WIDTH = 100


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        shown = ", ".join(_value(v) for v in value[:8])
        return f"[{shown}{', ...' if len(value) > 8 else ''}]"
    return str(value)


def _field(label: str, text: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=f"  {label:<10}", subsequent_indent=" " * 12)


def format_claim(claim: dict[str, Any], folder: Path | None = None) -> str:
    lines = [f"{claim['id']:<5} {claim['verdict'].upper():<7} {claim['seed_ref']}",
             _field("claim", claim["claim"]),
             _field("measured", "; ".join(f"{k} = {_value(v)}" for k, v in claim["measured"].items())),
             _field("rule", claim["rule"])]
    if claim.get("correction"):
        lines.append(_field("condition" if claim["verdict"] == "holds" else "instead", claim["correction"]))
    if claim.get("fix"):
        fix = claim["fix"]
        lines.append(_field("fix", f"{fix['verdict']}: {fix['rule']} with "
                                   + "; ".join(f"{k} = {_value(v)}" for k, v in fix["measured"].items())))
    if claim["figures"]:
        lines.append(_field("figures", " ".join(str(folder / f) if folder else f for f in claim["figures"])))
    return "\n".join(lines)


def format_record(record: dict[str, Any], folder: Path | None = None) -> str:
    """Every claim of one lesson as a block, with a header and the lesson's own checks."""
    head = (f"{record['name']}: {record['title']} ({record['section']}), {record['engine']} engine, "
            f"seed {record['seed']}, {'quick' if record['quick'] else 'full'} mode, {record['seconds']:.1f} s")
    if record.get("error"):
        return head + "\n  CRASHED:\n" + textwrap.indent(record["error"], "    ")
    blocks = [head] + [format_claim(c, folder) for c in record["claims"]]
    failed = [c for c in record["checks"] if not c["passed"]]
    passed = len(record["checks"]) - len(failed)
    summary = f"checks: {passed}/{len(record['checks'])} passed"
    blocks.append(summary + "".join(f"\n  FAILED {c['name']}: {c['detail']}" for c in failed))
    return "\n\n".join(blocks)
