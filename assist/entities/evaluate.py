"""Precision / recall of ``extract_entities`` against Bitext's span annotations.

Bitext annotates at most ONE entity per row (``entity_type``, ``start_offset``, ``end_offset``;
its ``entity_value`` is sometimes normalised, e.g. "00123842" -> "123842", so the span is the
gold). A prediction counts as a true positive when it has the gold type and overlaps the gold
span ("$160" vs the annotated "160"); ``exact`` additionally requires identical offsets.
On an annotated row every other prediction of an evaluated type is a false positive (this
slightly understates precision when a row mentions two entities but annotates one). Rows with
no annotation at all are not used for precision: Bitext leaves most of them unannotated even
when they carry an entity ("a refund of $1499"); predictions there are only counted
(``unannotated_hits``) and sampled into ``errors`` for reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 0.0


def _gold_span(row: Mapping[str, str]) -> tuple[int, int] | None:
    try:
        start, end = int(row["start_offset"]), int(row["end_offset"])
    except (KeyError, TypeError, ValueError):
        return None
    return (start, end) if 0 <= start < end else None


def evaluate_entities(
    rows: Iterable[Mapping[str, str]], text_field: str = "instruction", max_errors: int = 5
) -> dict[str, Any]:
    """Per-type and micro-averaged precision/recall/F1, plus a few error examples per type.

    ``rows`` are dicts with the Bitext columns (csv.DictReader rows work as they are).
    Only types that occur in the gold annotations are scored.
    """
    from assist.entities import extract_entities  # late: the package imports this module

    rows = list(rows)
    gold_types = sorted({r["entity_type"] for r in rows if r.get("entity_type")})
    counts = {t: {"tp": 0, "fp": 0, "fn": 0, "exact": 0, "unannotated_hits": 0} for t in gold_types}
    errors: dict[str, list[dict[str, Any]]] = {t: [] for t in gold_types}
    skipped = 0
    for row in rows:
        text = row[text_field]
        gtype = row.get("entity_type") or ""
        gold = _gold_span(row) if gtype else None
        if gtype and gold is None:
            skipped += 1  # annotated type without usable offsets: neither hit nor miss
            gtype = ""
        matched = False
        for ent in extract_entities(text):
            if ent.type not in counts:
                continue
            hit = (
                gold is not None
                and ent.type == gtype
                and not matched
                and ent.start < gold[1]
                and gold[0] < ent.end
            )
            if hit:
                matched = True
                counts[gtype]["tp"] += 1
                counts[gtype]["exact"] += int((ent.start, ent.end) == gold)
            elif gold is None:
                counts[ent.type]["unannotated_hits"] += 1
                if len(errors[ent.type]) < 3 * max_errors:
                    errors[ent.type].append({"unannotated": ent.value, "text": text})
            else:
                counts[ent.type]["fp"] += 1
                if len(errors[ent.type]) < 3 * max_errors:
                    errors[ent.type].append({"fp": ent.value, "text": text})
        if gold is not None and not matched:
            counts[gtype]["fn"] += 1
            if len(errors[gtype]) < 3 * max_errors:
                errors[gtype].append({"fn": text[gold[0] : gold[1]], "text": text})
    report: dict[str, Any] = {}
    for t, c in counts.items():
        p, r = _ratio(c["tp"], c["tp"] + c["fp"]), _ratio(c["tp"], c["tp"] + c["fn"])
        report[t] = {
            **c,
            "support": c["tp"] + c["fn"],
            "precision": p,
            "recall": r,
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "exact_recall": _ratio(c["exact"], c["tp"] + c["fn"]),
        }
    tp = sum(c["tp"] for c in counts.values())
    fp = sum(c["fp"] for c in counts.values())
    fn = sum(c["fn"] for c in counts.values())
    report["micro"] = {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
    }
    report["skipped_rows"] = skipped
    report["errors"] = errors
    return report
