"""Reading library files: Markdown front matter / titles, CSV columns, sentence spans, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.retrieval.items import placeholders, plain, sentence_spans
from assist.retrieval.sources import (
    SourceError,
    bundled_items,
    decode,
    parse_csv,
    parse_markdown,
    read_user_file,
)


def test_sentence_spans_point_into_the_body() -> None:
    body = (
        "Intro line that wraps\nonto the next line. Second sentence is here.\n\n"
        "## Heading is skipped\n\n- First bullet point here.\n- Costs 4.95, e.g. this one.\n"
        "1. Numbered step goes here.\nOk.\n"
    )
    sentences = [body[a:b] for a, b in sentence_spans(body)]
    assert sentences == [
        "Intro line that wraps\nonto the next line.",
        "Second sentence is here.",
        "First bullet point here.",
        "Costs 4.95, e.g. this one.",
        "Numbered step goes here.",
    ]


def test_markdown_front_matter_sets_title_intents_kind() -> None:
    text = (
        "---\ntitle: Returns\nintent: [get_refund, check_refund_policy]\nkind: article\n---\n"
        "# Ignored heading title\n\nYou have 30 days. Items must be unused.\n"
    )
    item = parse_markdown(text, "user:r.md", "r.md")
    assert item.title == "Returns"
    assert item.intents == ("get_refund", "check_refund_policy")
    assert item.kind == "article"
    assert item.text == "You have 30 days. Items must be unused."


def test_markdown_without_front_matter_uses_title_line_and_meta_lines() -> None:
    item = parse_markdown(
        "intent: track_order\n# Where is my parcel\nIt is on its way to you.", "user:w.md", "w.md"
    )
    assert item.title == "Where is my parcel"
    assert item.intents == ("track_order",)
    assert item.kind == "macro"  # short, no headings
    bare = parse_markdown("Just a reply with no title at all.", "user:x.md", "sub/my_reply.md")
    assert bare.title == "My reply"


def test_long_markdown_is_an_article_unless_it_says_macro() -> None:
    body = "# T\n\n" + " ".join(f"Sentence number {i} is here." for i in range(6))
    assert parse_markdown(body, "u", "u.md").kind == "article"
    assert parse_markdown("---\nkind: macro\n---\n" + body, "u", "u.md").kind == "macro"
    assert parse_markdown(body, "u", "u.md", in_macro_folder=True).kind == "macro"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\n: [bad\n---\nbody", "bad front matter"),
        ("---\n- a list\n---\nbody", "not a mapping"),
        ("# Only a title\n", "no text"),
    ],
)
def test_bad_markdown_says_why(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_markdown(text, "u", "u.md")


def test_csv_columns_are_found_case_insensitively() -> None:
    text = (
        "ID,Title,Intent,Reply\nwelcome,Hello,greeting,Hi there!\n,Bye,,\n,Later,,See you soon.\n"
    )
    items, skipped = parse_csv(text, "user:m.csv", "m.csv")
    assert [i.item_id for i in items] == ["user:m.csv#welcome", "user:m.csv#3"]
    assert items[0].intents == ("greeting",) and items[0].text == "Hi there!"
    assert items[1].title == "Later" and items[1].kind == "macro"
    assert skipped == 1


def test_decode_rejects_bad_utf8_and_empty() -> None:
    assert decode("\ufeffhé".encode()) == "hé"
    with pytest.raises(SourceError, match=r"UTF-8 \(byte 0xe9 at offset 3\)"):
        decode("Caf\xe9".encode("latin-1"))
    with pytest.raises(SourceError, match="empty"):
        decode(b"  \n")


def test_read_user_file_never_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('text\n"unclosed\n', "utf-8")
    items, problems = read_user_file(bad, tmp_path)
    assert items == [] and len(problems) == 1
    assert str(bad) in problems[0] and "CSV" in problems[0]


def test_bundled_library_has_every_bitext_intent_and_kb_articles() -> None:
    items = bundled_items()
    ids = {i.item_id for i in items}
    assert {"bitext:track_order", "bitext:cancel_order", "kb:returns-policy"} <= ids
    intents = {label for i in items if i.item_id.startswith("bitext:") for label in i.intents}
    assert len(intents) == 27
    assert len(ids) == len(items)  # ids are unique
    assert all(i.kind == "article" for i in items if i.item_id.startswith("kb:"))


def test_placeholders_and_plain_text() -> None:
    text = "Order {{Order Number}} ships via {{ Carrier }}; see {{Order Number}}."
    assert placeholders(text) == ("Order Number", "Carrier")
    assert (
        plain("See **our** [returns page](https://x.y) and `code`.")
        == "See our returns page and code."
    )
