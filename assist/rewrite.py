"""Rewrite a reply the agent is finishing: friendlier, more formal or shorter.

Why through the same local model and the same checks as drafts: the agent asks for a change of
tone, not of facts, so the rewrite may only state what the original reply or the shop profile
states (``assist.grounding.repair`` turns anything else into a visible placeholder), and it
streams like a draft so the agent can stop it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

from assist import grounding
from assist.profile import CompanyProfile
from assist.runtime.generator import ReplyModel, SamplingParams

RETRY_SEED = 7
STYLES = {
    "friendlier": "warmer and friendlier",
    "formal": "more formal and polite",
    "shorter": "shorter, one or two sentences",
}


@dataclass(frozen=True)
class Rewritten:
    """The final, checked text (may differ from the streamed chunks after repair)."""

    text: str


def rewrite_messages(text: str, style: str) -> list[dict[str, str]]:
    if style not in STYLES:
        raise ValueError(f"unknown rewrite style {style!r} (one of {', '.join(STYLES)})")
    return [
        {
            "role": "system",
            "content": "You rewrite customer support replies. Keep every fact, number, name "
            "and link exactly as written. Answer with the rewritten reply only.",
        },
        {"role": "user", "content": f"Rewrite this reply to be {STYLES[style]}:\n\n{text}"},
    ]


def rewrite(
    generator: ReplyModel,
    text: str,
    style: str,
    profile: CompanyProfile,
    cancel: threading.Event | None = None,
) -> Iterator[str | Rewritten]:
    """Stream the rewritten text as it is decoded, then one ``Rewritten`` with the checked
    whole, which replaces what was streamed."""
    params = SamplingParams(temperature=0, max_tokens=min(160, 24 + len(text) // 2))
    result = ""
    # Greedy first; a copy of the input is no rewrite (the fine-tuned reply model, asked for
    # "shorter", tends to repeat the text as it is), so then one sampled try, seed fixed.
    for attempt in (params, replace(params, temperature=0.7, seed=RETRY_SEED)):
        chunks: list[str] = []
        for chunk in generator.stream(rewrite_messages(text, style), attempt, cancel):
            chunks.append(chunk)
            yield chunk
        if cancel is not None and cancel.is_set():
            return
        result = "".join(chunks).strip().strip('"').strip()
        if " ".join(result.split()) != " ".join(text.split()):
            break
    yield Rewritten(grounding.repair(result, [text, *profile.facts().values()]))
