"""Supervisor mode: the review queue, the review of one flagged chat, and team analytics.

Entry points (the agent window wires them in):

* ``ask_supervisor_role(parent, tasks, store_url, on_granted)`` -- the passphrase gate;
* ``SupervisorWindow(tasks, store_url, actor)`` -- the window itself.

Both talk to the team store only through ``ui.supervisor.data`` on the given ``TaskRunner``.
"""

from __future__ import annotations

from ui.supervisor.gate import PassphraseGate, ask_supervisor_role
from ui.supervisor.window import SupervisorWindow

__all__ = ["PassphraseGate", "SupervisorWindow", "ask_supervisor_role"]
