"""`assist store migrate | stats | export` against a SQLite team store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assist.cli.main import main
from assist.store import ConversationRecord, FlagRecord, MessageRecord, TeamStore, read_csv


def test_store_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    assert main(["store", "--url", url, "migrate"]) == 0
    assert json.loads(capsys.readouterr().out)["revision"] == "0002"
    with TeamStore.open(url) as team:
        for name, flagged in (("Ann", True), ("Bo", False)):
            conv = ConversationRecord("sam", name)
            team.record_conversation(conv)
            team.record_message(MessageRecord(conv.id, 0, "customer", f"hi from {name}"))
            if flagged:
                team.raise_flag(FlagRecord(conv.id, "unsure", 1, 0))
    assert main(["store", "--url", url, "stats"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["conversations"] == 2 and stats["analytics"]["flags"] == 1
    out = tmp_path / "flagged.csv"
    args = ["store", "--url", url, "export", "--format", "csv", "--flagged", "-o", str(out)]
    assert main([*args, "--actor", "lead"]) == 0
    rows = read_csv(out.open(encoding="utf-8"))
    assert [r["message_text"] for r in rows] == ["hi from Ann"]
    assert main(["store", "--url", url, "export", "--format", "jsonl", "--search", "bo"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(x)["conversation"]["customer_name"] for x in lines] == ["Bo"]
    with TeamStore.open(url) as team, team.engine.connect() as conn:
        actions = [r.action for r in conn.exec_driver_sql("SELECT action FROM audit_log")]
    assert actions == ["export", "export"]


def test_unreachable_server_is_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["store", "--url", "postgresql://x@127.0.0.1:1/db", "stats"]) == 1
    assert "cannot reach the database server" in capsys.readouterr().err
