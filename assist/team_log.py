"""What an agent's app writes to the team store: its chats, their analysis, flags, feedback.

The desk works with the helpdesk's conversation ids; the team store holds every agent's chats
side by side, so a chat is stored under a stable id made from the agent's name and that id
(``external_id`` keeps the helpdesk's). Each customer or agent message becomes one team
transaction: the conversation row, the message with its intent and sentiment, and any flag
the rules raised since the last one (a rule flag's id is derived from where it fired, so
writing it again stores nothing). Writes go through ``SyncingWriter``: when the team database
can't be reached they wait in the profile's outbox and ``sync`` pushes them later.

Used by the desktop app's store worker (never the UI thread); headless callers can use it too.
"""

from __future__ import annotations

import getpass
import uuid
from dataclasses import replace

from assist.desk import ConversationSnapshot
from assist.settings import Settings
from assist.store import FeedbackEvent
from assist.store.records import ConversationRecord, FlagRecord, MessageRecord
from assist.store.sync import SyncingWriter, SyncReport
from assist.store.team import op_conversation, op_feedback, op_flag, op_messages

_NAMESPACE = uuid.UUID("6f1b9a36-3c1e-4d0e-9a55-2f6f3e0b7c11")  # ids made by Assist apps


def agent_name(settings: Settings) -> str:
    """The ``agent.name`` setting, else the login name (what supervisors see)."""
    name = str(settings["agent.name"] or "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still a name
        return "agent"


def team_conversation_id(agent: str, cid: str) -> str:
    """The team store's id of ``agent``'s chat ``cid`` (stable across restarts)."""
    return str(uuid.uuid5(_NAMESPACE, f"{agent}\n{cid}"))


class TeamLog:
    def __init__(self, writer: SyncingWriter, agent: str) -> None:
        self.writer = writer
        self.agent = agent
        self._flags_sent: set[tuple[str, str, int]] = set()  # (chat, reason, message) written

    @classmethod
    def open(cls, settings: Settings) -> TeamLog:
        """The team store of the ``store.url`` setting (the profile's SQLite file if empty)."""
        url = str(settings["store.url"] or "").strip() or None
        return cls(SyncingWriter(url), agent_name(settings))

    def conversation_id(self, cid: str) -> str:
        return team_conversation_id(self.agent, cid)

    def record_turn(self, snap: ConversationSnapshot) -> bool:
        """The snapshot's newest message, its analysis and new flags, in one write. True when
        it reached the team database, False when it waits in the outbox."""
        cid = snap.conversation_id
        sid = self.conversation_id(cid)
        turn = snap.turns[-1]
        first = snap.turns[0].message.ts
        conv = ConversationRecord(self.agent, snap.customer_name, cid, id=sid)
        if first is not None:
            conv = replace(conv, started_at=first)
        a = turn.analysis
        message = MessageRecord(
            sid,
            turn.index,
            turn.message.role,
            turn.message.text,
            intent=a.intent.label if a else None,
            intent_confidence=a.intent.confidence if a else None,
            sentiment=a.sentiment.label if a else None,
            sentiment_score=a.sentiment.score if a else None,
            uid=str(uuid.uuid5(_NAMESPACE, f"{sid}\n{turn.index}")),
        )
        if turn.message.ts is not None:
            message = replace(message, ts=turn.message.ts)
        new_flags = [
            f for f in snap.flags if (cid, f.reason, f.message_index) not in self._flags_sent
        ]
        ops = [op_conversation(conv), op_messages([message])]
        ops += [
            op_flag(FlagRecord(sid, f.reason, f.severity, f.message_index, f.detail))
            for f in new_flags
        ]
        reached = self.writer.submit(ops)
        # written or queued: either way not again (and the id makes a repeat a no-op anyway)
        self._flags_sent.update((cid, f.reason, f.message_index) for f in new_flags)
        return reached

    def record_feedback(self, event: FeedbackEvent) -> bool:
        """A suggestion's fate, under the chat's team id and this agent's name."""
        stored = replace(
            event, conversation_id=self.conversation_id(event.conversation_id), agent=self.agent
        )
        return self.writer.submit([op_feedback(stored)])

    def flag(self, cid: str, note: str, message_index: int | None = None) -> bool:
        """The agent asks a supervisor to look at this chat."""
        rec = FlagRecord(
            self.conversation_id(cid),
            "manual",
            "medium",
            message_index,
            note,
            source="manual",
            note=note,
            created_by=self.agent,
        )
        return self.writer.submit([op_flag(rec)])

    def sync(self) -> SyncReport:
        return self.writer.sync()

    @property
    def pending(self) -> int:
        return self.writer.outbox.pending()

    @property
    def last_error(self) -> str | None:
        return self.writer.last_error

    def close(self) -> None:
        self.writer.close()
