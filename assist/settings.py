"""Settings: declared once (name, type, default, doc), stored as TOML in the profile dir.

The declaration table is the single source of truth: the CLI, the app's settings dialog and
the docs all read it. ``SCHEMA_VERSION`` lets a newer app migrate an older file. Secrets are
never settings: API keys live in the OS keyring; a setting may at most record that one is set.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from assist.paths import profile_dir

SCHEMA_VERSION = 1
FILENAME = "settings.toml"


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    doc: str
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


DECLARED: tuple[Setting, ...] = (
    Setting(
        "suggestions.count",
        int,
        3,
        "How many suggestions to show per customer message.",
        minimum=1,
        maximum=10,
    ),
    Setting(
        "suggestions.generate",
        bool,
        True,
        "Also draft a reply with the local language model (streams in after the macros).",
    ),
    Setting(
        "generation.temperature",
        float,
        0.3,
        "Sampling temperature (0 = greedy).",
        minimum=0.0,
        maximum=2.0,
    ),
    Setting(
        "generation.top_k",
        int,
        40,
        "Sample only among the k most likely tokens.",
        minimum=0,
        maximum=1000,
    ),
    Setting(
        "generation.top_p",
        float,
        0.9,
        "Nucleus sampling: smallest set with this mass.",
        minimum=0.0,
        maximum=1.0,
    ),
    Setting(
        "generation.repetition_penalty",
        float,
        1.0,
        "Penalty for repeating tokens already generated (1 = none). Agents' replies say "
        "'your order' and 'refund' again and again: 1.1 cost the fine-tuned model 0.046 "
        "ROUGE-L on the dev split.",
        minimum=1.0,
        maximum=2.0,
    ),
    Setting(
        "generation.copy_bias",
        float,
        3.0,
        "Logit bonus for the word that goes on with a phrase of the approved answer the draft "
        "adapts (0 = none). On 100 dev rows: 0 -> 0.357 ROUGE-L, 2 -> 0.359, 4 -> 0.360, "
        "8 -> 0.340 (the draft starts copying the customer).",
        minimum=0.0,
        maximum=10.0,
    ),
    Setting(
        "generation.max_tokens",
        int,
        200,
        "Longest generated suggestion, in tokens (the fine-tuned model was trained on replies "
        "of up to 200: Bitext's agents write ~150 with their steps).",
        minimum=8,
        maximum=1024,
    ),
    Setting(
        "generation.seed", int, 0, "Random seed for sampling (same seed, same draft).", minimum=0
    ),
    Setting(
        "intent.min_confidence",
        float,
        0.0,
        "Extra floor under the model's calibrated threshold; below it the intent is 'other'.",
        minimum=0.0,
        maximum=1.0,
    ),
    Setting(
        "sentiment.trend_alpha",
        float,
        0.4,
        "Weight of the newest message in the sentiment trend (exponential moving average).",
        minimum=0.01,
        maximum=1.0,
    ),
    Setting(
        "escalation.trend_threshold",
        float,
        -0.35,
        "Sentiment trend below which a conversation is signalled for escalation.",
        minimum=-1.0,
        maximum=1.0,
    ),
    Setting("runtime.threads", int, 0, "CPU threads for inference (0 = all cores).", minimum=0),
    Setting("ui.language", str, "en", "Interface language.", choices=("en",)),
    Setting("ui.theme", str, "system", "Colour theme.", choices=("system", "light", "dark")),
    Setting(
        "demo.speed",
        float,
        4.0,
        "Demo replay speed: 1 = the recorded pauses between messages, higher is faster.",
        minimum=0.0,
        maximum=100.0,
    ),
    Setting(
        "ingest.enabled",
        bool,
        True,
        "Listen on 127.0.0.1 for conversations sent by a helpdesk relay or script.",
    ),
    Setting(
        "ingest.port",
        int,
        8765,
        "Port of the local ingestion API (127.0.0.1 only).",
        minimum=1024,
        maximum=65535,
    ),
    Setting(
        "flags.trend_window",
        int,
        3,
        "Customer messages the sentiment trend must stay below escalation.trend_threshold "
        "before the conversation is flagged.",
        minimum=1,
        maximum=20,
    ),
    Setting(
        "flags.unsure_turns",
        int,
        2,
        "Customer turns in a row with intent 'other' (the model can't help) before a flag.",
        minimum=1,
        maximum=20,
    ),
    Setting(
        "flags.wait_minutes",
        float,
        5.0,
        "Minutes a customer may wait for an agent reply before the chat is flagged.",
        minimum=0.5,
        maximum=1440.0,
    ),
    Setting(
        "agent.name",
        str,
        "",
        "Your name as supervisors see it (empty = your login name).",
    ),
    Setting(
        "store.url",
        str,
        "",
        "Team database (postgresql://user@host/db; password in the keyring). Empty = the "
        "local SQLite file in the profile.",
    ),
    Setting(
        "remote.url",
        str,
        "",
        "OpenAI-compatible server that writes the drafts (vLLM, Ollama, llama.cpp, assist "
        "serve), e.g. http://gpu-box:8000/v1. Empty = the local model only. The API key is "
        "kept in the OS keyring.",
    ),
    Setting("remote.model", str, "", "Model name on that server (empty = the first it lists)."),
    Setting(
        "remote.mode",
        str,
        "fallback",
        "With a server set: 'fallback' = the server first, the local model when it fails or is "
        "slow; 'remote' = the server only; 'local' = ignore the server.",
        choices=("fallback", "remote", "local"),
    ),
    Setting(
        "remote.connect_timeout",
        float,
        1.0,
        "Seconds to connect to the server.",
        minimum=0.1,
        maximum=60.0,
    ),
    Setting(
        "remote.first_token_timeout",
        float,
        2.0,
        "In fallback mode: seconds to wait for the server's first words before the local "
        "model answers instead.",
        minimum=0.2,
        maximum=120.0,
    ),
    Setting(
        "remote.stall_timeout",
        float,
        0.5,
        "In fallback mode: seconds of silence mid-reply before the local model takes over.",
        minimum=0.1,
        maximum=60.0,
    ),
    Setting(
        "remote.deadline",
        float,
        30.0,
        "Longest time one remote draft may take, however the server trickles it.",
        minimum=1.0,
        maximum=600.0,
    ),
    Setting(
        "remote.ca_file",
        str,
        "",
        "PEM file of the CA that signed the server's certificate (self-signed or private CA). "
        "Empty = the operating system's trust store.",
    ),
    Setting(
        "remote.sampling_extras",
        bool,
        True,
        "Also send top_k and repetition_penalty (vLLM and assist serve use both, llama.cpp "
        "top_k; turn off for a server that rejects unknown fields).",
    ),
    *(
        Setting(
            f"remote.redact_{name}",
            bool,
            name != "order_ids",
            f"{what} go to the server as {placeholder}; the reply gets the real value back.",
        )
        for name, what, placeholder in (
            ("cards", "Card numbers", "[CARD_1]"),
            ("emails", "E-mail addresses", "[EMAIL_1]"),
            ("phones", "Phone numbers", "[PHONE_1]"),
            ("ibans", "IBANs", "[IBAN_1]"),
            ("addresses", "Street addresses", "[ADDRESS_1]"),
            ("order_ids", "Order ids (the model often needs them)", "[ORDER_1]"),
        )
    ),
    Setting(
        "llm.model",
        str,
        "",
        "Which installed local model writes the drafts (empty = the bundled one). "
        "`assist models export --hf DIR` adds one; `assist models retrain --adapter` makes one "
        "from the agents' replies.",
    ),
    Setting(
        "library.folder",
        str,
        "",
        "Folder of your own macros and KB articles (empty = 'library' in the profile).",
    ),
)
BY_NAME = {s.name: s for s in DECLARED}


class SettingsError(ValueError):
    """A settings value or file is invalid; the message names the setting or file."""


def coerce(setting: Setting, value: Any) -> Any:
    """Check and convert ``value`` for ``setting``; raises SettingsError with the reason."""
    try:
        if setting.type is bool:
            if isinstance(value, str):
                if value.lower() not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
                    raise ValueError(value)
                value = value.lower() in {"true", "1", "yes", "on"}
            elif not isinstance(value, bool):
                raise ValueError(value)
        else:
            value = setting.type(value)
    except (TypeError, ValueError):
        raise SettingsError(
            f"setting {setting.name}: {value!r} is not a {setting.type.__name__}"
        ) from None
    if setting.choices and value not in setting.choices:
        raise SettingsError(f"setting {setting.name}: {value!r} not one of {setting.choices}")
    if setting.minimum is not None and value < setting.minimum:
        raise SettingsError(f"setting {setting.name}: {value} is below {setting.minimum}")
    if setting.maximum is not None and value > setting.maximum:
        raise SettingsError(f"setting {setting.name}: {value} is above {setting.maximum}")
    return value


class Settings:
    """The user's values over the declared defaults; ``save`` writes atomically."""

    def __init__(self, values: dict[str, Any] | None = None, path: Path | None = None):
        self.path = path
        self._values: dict[str, Any] = {}
        for name, value in (values or {}).items():
            self.set(name, value)

    def get(self, name: str) -> Any:
        if name not in BY_NAME:
            raise KeyError(f"unknown setting {name!r}")
        return self._values.get(name, BY_NAME[name].default)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def set(self, name: str, value: Any) -> None:
        if name not in BY_NAME:
            raise SettingsError(f"unknown setting {name!r}")
        self._values[name] = coerce(BY_NAME[name], value)

    def as_dict(self) -> dict[str, Any]:
        return {s.name: self.get(s.name) for s in DECLARED}

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read the profile's settings; unknown names are dropped (newer/older app)."""
        path = path or profile_dir() / FILENAME
        if not path.exists():
            return cls(path=path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise SettingsError(f"{path}: invalid settings file ({e})") from None
        version = raw.pop("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise SettingsError(f"{path}: written by a newer Assist (schema {version})")
        flat = _flatten(raw)
        return cls({k: v for k, v in flat.items() if k in BY_NAME}, path=path)

    def save(self, path: Path | None = None) -> Path:
        path = path or self.path or profile_dir() / FILENAME
        nested: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        for name, value in self._values.items():
            section, key = name.split(".", 1)
            nested.setdefault(section, {})[key] = value
        tmp = path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(nested), encoding="utf-8")
        os.replace(tmp, path)
        self.path = path
        return path


def _flatten(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out
