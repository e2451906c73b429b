from __future__ import annotations

import io
import json

from assist.messages_io import InputError, Line, conversation_lines, message_texts


def test_plain_lines_with_empty_and_invalid_utf8() -> None:
    data = b"where is my order\n\n\xff\xfe broken\nrefund please\r\n"
    items = list(message_texts(io.BytesIO(data)))
    assert [type(i) for i in items] == [Line, InputError, InputError, Line]
    assert items[1].lineno == 2 and "empty" in str(items[1])
    assert items[2].lineno == 3 and "UTF-8" in str(items[2])
    assert isinstance(items[3], Line) and items[3].text == "refund please"


def test_conversation_lines_report_each_problem_by_line() -> None:
    good = {"conversation_id": "c1", "role": "customer", "text": "hi", "ts": "2026-01-02T03:04:05Z"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "role": "bot"}),
        json.dumps({**good, "text": ""}),
        json.dumps({**good, "ts": "yesterday"}),
        json.dumps([1, 2]),
        "",
        json.dumps({**good, "role": "agent", "text": "hello"}),
    ]
    items = list(conversation_lines(io.BytesIO("\n".join(lines).encode())))
    errors = {e.lineno: e.reason for e in items if isinstance(e, InputError)}
    assert set(errors) == {2, 3, 4, 5, 6}
    assert "malformed JSON" in errors[2]
    assert "unknown role 'bot'" in errors[3]
    assert "empty" in errors[4]
    assert "ISO-8601" in errors[5]
    assert "JSON object" in errors[6]
    messages = [m for m in items if not isinstance(m, InputError)]
    assert [(m.role, m.text) for m in messages] == [("customer", "hi"), ("agent", "hello")]
    assert messages[0].ts is not None and messages[0].ts.year == 2026


def test_large_message_is_kept_whole() -> None:
    text = "a" * 100_000
    items = list(message_texts(io.BytesIO(text.encode() + b"\n")))
    assert isinstance(items[0], Line) and len(items[0].text) == 100_000
