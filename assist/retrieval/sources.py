"""Reading macros and KB articles from files: the bundled set and the user's own Markdown / CSV.

One article or macro per Markdown file (optional YAML front matter with title / intent / kind / id,
or a first ``# Title`` line); any number of macros per CSV file (columns like title, intent, text).
A file that cannot be read yields a one-line problem naming it instead of an exception, so one bad
file never costs the agent the rest of the library.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from assist.retrieval.items import ItemKind, LibraryItem, sentence_spans

TEXT_COLUMNS = ("text", "body", "response", "reply", "answer", "content", "macro")
TITLE_COLUMNS = ("title", "name", "subject")
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", re.S)
_TITLE_LINE = re.compile(r"\s*#[ \t]+(.+?)[ \t]*#*[ \t]*(?:\r?\n|$)")
_META_LINE = re.compile(r"(title|intents?|kind|id):[ \t]*(.*?)[ \t]*(?:\r?\n|$)", re.I)
MACRO_MAX_SENTENCES = 3  # a short Markdown file without headings reads as a macro


class SourceError(ValueError):
    """A file that cannot become library items; the message says why, in a few words."""


def humanise(name: str) -> str:
    return re.sub(r"[_\-]+", " ", name).strip().capitalize()


def _intents(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    parts = value if isinstance(value, list) else re.split(r"[,;|]", str(value))
    return tuple(p for p in (str(x).strip() for x in parts) if p)


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is fine); anything else is a SourceError saying where it broke."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SourceError(
            f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None
    if not text.strip():
        raise SourceError("empty file")
    return text


def parse_markdown(
    text: str, item_id: str, origin: str, in_macro_folder: bool = False
) -> LibraryItem:
    meta: dict[str, Any] = {}
    body = text
    front = _FRONT_MATTER.match(text)
    if front:
        try:
            loaded = yaml.safe_load(front.group(1))
        except yaml.YAMLError as e:
            raise SourceError(f"bad front matter ({str(e).splitlines()[0]})") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise SourceError("front matter is not a mapping of key: value")
        meta = {str(k).lower(): v for k, v in (loaded or {}).items()}
        body = text[front.end() :]
    else:
        while m := _META_LINE.match(body):  # plain "intent: x" lines at the top
            meta[m.group(1).lower()] = m.group(2)
            body = body[m.end() :]
    title_line = _TITLE_LINE.match(body)
    if title_line:
        body = body[title_line.end() :]
    body = body.strip()
    if not body:
        raise SourceError("no text after the title")
    title = str(meta.get("title") or (title_line.group(1) if title_line else "")).strip()
    kind = str(meta.get("kind") or meta.get("type") or "").lower()
    if kind not in ("macro", "article"):
        short = len(sentence_spans(body)) <= MACRO_MAX_SENTENCES and "\n#" not in body
        kind = "macro" if in_macro_folder or short else "article"
    return LibraryItem(
        item_id=str(meta.get("id") or item_id),
        kind=_kind(kind),
        title=title or humanise(origin.rsplit("/", 1)[-1].rsplit(".", 1)[0]),
        text=body,
        intents=_intents(meta.get("intents", meta.get("intent"))),
        origin=origin,
    )


def _kind(value: str) -> ItemKind:
    return "macro" if value == "macro" else "article"


def _column(fields: Iterable[str], names: tuple[str, ...]) -> str | None:
    by_lower = {f.strip().lower(): f for f in fields if f}
    return next((by_lower[n] for n in names if n in by_lower), None)


def parse_csv(text: str, id_prefix: str, origin: str) -> tuple[list[LibraryItem], int]:
    """Macros of a CSV file, and how many rows were skipped for lack of text."""
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        fields = reader.fieldnames or []
        text_col = _column(fields, TEXT_COLUMNS)
        if text_col is None:
            raise SourceError(f"no text column (expected one of: {', '.join(TEXT_COLUMNS)})")
        title_col = _column(fields, TITLE_COLUMNS)
        intent_col = _column(fields, ("intent", "intents"))
        id_col = _column(fields, ("id", "macro_id"))
        kind_col = _column(fields, ("kind", "type"))
        examples_col = _column(fields, ("examples",))
        items: list[LibraryItem] = []
        skipped = 0
        for number, row in enumerate(reader, start=1):
            body = (row.get(text_col) or "").strip()
            if not body:
                skipped += 1
                continue
            row_id = (row.get(id_col) or "").strip() if id_col else ""
            title = (row.get(title_col) or "").strip() if title_col else ""
            intents = _intents(row.get(intent_col)) if intent_col else ()
            kind = (row.get(kind_col) or "").strip().lower() if kind_col else ""
            examples = _intents(row.get(examples_col)) if examples_col else ()
            items.append(
                LibraryItem(
                    item_id=row_id if ":" in row_id else f"{id_prefix}#{row_id or number}",
                    kind=_kind(kind or "macro"),
                    title=title or humanise(intents[0] if intents else f"{origin} {number}"),
                    text=body,
                    intents=intents,
                    examples=examples,
                    origin=f"{origin}:{number + 1}",
                )
            )
    except csv.Error as e:
        raise SourceError(f"bad CSV ({e})") from None
    return items, skipped


def read_user_file(path: Path, root: Path) -> tuple[list[LibraryItem], list[str]]:
    """Items of one file of the user's library folder, and the problems met (never raises)."""
    rel = path.relative_to(root).as_posix()
    try:
        text = decode(path.read_bytes())
        if path.suffix.lower() == ".csv":
            items, skipped = parse_csv(text, f"user:{rel}", rel)
            if not items:
                raise SourceError("no rows with text")
            notes = [f"{rel}: {skipped} row(s) without text skipped"] if skipped else []
            return items, notes
        in_macros = "macros" in (p.lower() for p in Path(rel).parts[:-1])
        return [parse_markdown(text, f"user:{rel}", rel, in_macros)], []
    except (SourceError, OSError) as e:
        return [], [f"skipped library file {path}: {e}"]


def bundled_items() -> list[LibraryItem]:
    """The library shipped with Assist: Bitext macros (+ derived replies), example KB articles."""
    root = resources.files("resources")
    macros = root / "macros"
    examples: dict[str, tuple[str, ...]] = {}
    if (macros / "bitext_examples.csv").is_file():
        rows = csv.DictReader(io.StringIO((macros / "bitext_examples.csv").read_text("utf-8")))
        examples = {r["intent"]: _intents(r["examples"]) for r in rows}
    items = [
        LibraryItem(
            item_id=f"bitext:{r['intent']}",
            kind="macro",
            title=humanise(r["intent"]),
            text=r["response"].strip(),
            intents=(r["intent"],),
            examples=examples.get(r["intent"], ()),
            origin="bitext/macros.csv",
        )
        for r in csv.DictReader(io.StringIO((macros / "bitext_macros.csv").read_text("utf-8")))
    ]
    if (macros / "bitext_replies.csv").is_file():
        replies, _ = parse_csv(
            (macros / "bitext_replies.csv").read_text("utf-8"), "bitext", "bitext/replies.csv"
        )
        items += replies
    for entry in sorted((root / "kb").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".md"):
            stem = entry.name[:-3]
            items.append(parse_markdown(entry.read_text("utf-8"), f"kb:{stem}", f"kb/{entry.name}"))
    return items
