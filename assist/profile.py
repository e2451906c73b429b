"""The company profile: the facts about the shop that replies may state (phone, e-mail, URL...).

Why a file the company edits and not model output: these are the only contact details a reply
may contain, so they come from one reviewed place. ``load_profile`` reads
``<profile dir>/company.toml``; on first run it copies the bundled example there. A broken file
raises ``ProfileError`` naming the file and line; falling back to ``example_profile()`` is the
caller's decision, never silent.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from assist.paths import profile_dir

PROFILE_FILE = "company.toml"
EXAMPLE_RESOURCE = "profile.example.toml"

# (section, key) in the TOML -> attribute / fact name.
_FIELDS = {
    ("company", "name"): "company_name",
    ("company", "website_name"): "website_name",
    ("company", "website_url"): "website_url",
    ("support", "phone"): "support_phone",
    ("support", "email"): "support_email",
    ("support", "hours"): "support_hours",
    ("support", "live_chat"): "live_chat",
}

_DESCRIPTIONS = {
    "company_name": "Company name",
    "website_name": "Website name",
    "website_url": "Website URL",
    "support_phone": "Customer support phone number",
    "support_email": "Customer support email",
    "support_hours": "Customer support hours",
    "live_chat": "Live chat",
}


class ProfileError(ValueError):
    """The profile file is missing pieces or is not valid TOML; the message names the file."""


@dataclass(frozen=True)
class CompanyProfile:
    company_name: str = ""
    website_name: str = ""
    website_url: str = ""
    support_phone: str = ""
    support_email: str = ""
    support_hours: str = ""
    live_chat: str = ""
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""  # where it was read from, for messages

    def facts(self) -> dict[str, str]:
        """Fact name -> value, only the non-empty ones (an empty value is an unknown fact)."""
        return {name: getattr(self, name) for name in _FIELDS.values() if getattr(self, name)}

    def described_facts(self) -> dict[str, str]:
        """The known facts under human-readable names, for prompts and the settings UI."""
        return {_DESCRIPTIONS[name]: value for name, value in self.facts().items()}

    def label(self, name: str) -> str | None:
        """The site's wording for a UI-section name, matched case-insensitively."""
        wanted = name.strip().casefold()
        for key, value in self.labels.items():
            if key.strip().casefold() == wanted:
                return value
        return None


def parse_profile(text: str, source: str = "<profile>") -> CompanyProfile:
    """Parse and check profile TOML; every problem is a ``ProfileError`` naming ``source``."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line N, column M)"
        raise ProfileError(f"{source}: invalid TOML: {exc}") from None
    values: dict[str, str] = {}
    for (section, key), attr in _FIELDS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ProfileError(f"{source}: [{section}] must be a table")
        value = table.get(key, "")
        if not isinstance(value, str):
            raise ProfileError(f"{source}: {section}.{key} must be a string, got {value!r}")
        values[attr] = value.strip()
    labels = data.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ProfileError(f"{source}: [labels] must map names to strings")
    return CompanyProfile(**values, labels=MappingProxyType(dict(labels)), source=source)


def example_text() -> str:
    return resources.files("resources").joinpath(EXAMPLE_RESOURCE).read_text(encoding="utf-8")


def example_profile() -> CompanyProfile:
    """The bundled example profile (what a caller may fall back to after a ``ProfileError``)."""
    return parse_profile(example_text(), source=f"resources/{EXAMPLE_RESOURCE}")


def profile_path() -> Path:
    return profile_dir() / PROFILE_FILE


def load_profile(path: Path | None = None) -> CompanyProfile:
    """Read the company profile, writing the bundled example first if there is none yet."""
    path = path or profile_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(example_text(), encoding="utf-8")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read: {exc}") from None
    return parse_profile(text, source=str(path))


def save_profile(profile: CompanyProfile, path: Path | None = None) -> Path:
    """Write ``profile`` as TOML (used by the settings UI); returns the path written."""
    import tomli_w

    data: dict[str, dict[str, str]] = {"company": {}, "support": {}}
    for (section, key), attr in _FIELDS.items():
        data[section][key] = getattr(profile, attr)
    data["labels"] = dict(profile.labels)
    path = path or profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path
