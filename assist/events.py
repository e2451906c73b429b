"""What the engine tells its listeners (CLI printer, Qt main thread, HTTP API), in order.

For one customer message: AnalysisReady, then SuggestionsReady (retrieval, at once), then the
generated draft as GenerationStarted, GenerationChunk..., and GenerationDone or GenerationFailed.
"""

from __future__ import annotations

from dataclasses import dataclass

from assist.types import Analysis, Suggestion, SuggestionSource


@dataclass(frozen=True)
class AnalysisReady:
    conversation_id: str
    message_index: int
    analysis: Analysis


@dataclass(frozen=True)
class SuggestionsReady:
    conversation_id: str
    message_index: int
    suggestions: tuple[Suggestion, ...]
    latency_ms: float


@dataclass(frozen=True)
class GenerationStarted:
    """A draft begins. A second one for the same message means "start over": the server
    failed and the local model writes it (``fallback`` says why)."""

    conversation_id: str
    message_index: int
    source: SuggestionSource = "generated"  # "remote": a server writes it
    fallback: str | None = None


@dataclass(frozen=True)
class GenerationChunk:
    conversation_id: str
    message_index: int
    text: str


@dataclass(frozen=True)
class GenerationDone:
    conversation_id: str
    message_index: int
    suggestion: Suggestion
    first_token_ms: float
    tokens_per_s: float
    fallback: str | None = None  # why the local model wrote it though a server is set
    redacted: int = 0  # values hidden from the server (replaced by placeholders)


@dataclass(frozen=True)
class GenerationFailed:
    conversation_id: str
    message_index: int
    error: str
    cancelled: bool = False


Event = (
    AnalysisReady
    | SuggestionsReady
    | GenerationStarted
    | GenerationChunk
    | GenerationDone
    | GenerationFailed
)
