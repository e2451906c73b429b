from __future__ import annotations

from pathlib import Path

import pytest

from assist.settings import BY_NAME, DECLARED, SCHEMA_VERSION, Settings, SettingsError


def test_defaults_come_from_the_declarations() -> None:
    s = Settings()
    assert s.as_dict() == {d.name: d.default for d in DECLARED}


def test_every_setting_is_documented() -> None:
    assert all(d.doc.strip() for d in DECLARED)


def test_save_and_load_round_trip(isolated_profile: Path) -> None:
    s = Settings()
    s.set("suggestions.count", 5)
    s.set("generation.temperature", "0.9")
    s.set("suggestions.generate", "off")
    path = s.save()
    assert path.parent == isolated_profile
    assert f"schema_version = {SCHEMA_VERSION}" in path.read_text()
    again = Settings.load()
    assert again["suggestions.count"] == 5
    assert again["generation.temperature"] == pytest.approx(0.9)
    assert again["suggestions.generate"] is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("suggestions.count", 0),
        ("suggestions.count", "many"),
        ("ui.theme", "purple"),
        ("generation.top_p", 1.5),
        ("no.such", 1),
        ("suggestions.generate", "maybe"),
    ],
)
def test_invalid_values_are_refused_with_the_name(name: str, value: object) -> None:
    with pytest.raises(SettingsError, match=name.replace(".", r"\.")):
        Settings().set(name, value)


def test_corrupt_file_names_the_file(isolated_profile: Path) -> None:
    path = isolated_profile / "settings.toml"
    path.write_text("[suggestions\ncount = ")
    with pytest.raises(SettingsError, match="settings.toml"):
        Settings.load()


def test_unknown_keys_from_other_versions_are_dropped(isolated_profile: Path) -> None:
    (isolated_profile / "settings.toml").write_text(
        "schema_version = 1\n[suggestions]\ncount = 4\nfancy = true\n"
    )
    assert Settings.load()["suggestions.count"] == 4
    assert "suggestions.fancy" not in BY_NAME


def test_newer_schema_is_refused(isolated_profile: Path) -> None:
    (isolated_profile / "settings.toml").write_text(f"schema_version = {SCHEMA_VERSION + 1}\n")
    with pytest.raises(SettingsError, match="newer"):
        Settings.load()
