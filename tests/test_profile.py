"""Company profile: first run writes the example, broken files fail loudly, round trips."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from assist.profile import (
    CompanyProfile,
    ProfileError,
    example_profile,
    example_text,
    load_profile,
    parse_profile,
    profile_path,
    save_profile,
)


def test_first_load_writes_the_bundled_example(isolated_profile: Path) -> None:
    path = isolated_profile / "company.toml"
    assert not path.exists()
    profile = load_profile()
    assert path.exists() and path == profile_path()
    assert path.read_text(encoding="utf-8") == example_text()
    data = tomllib.loads(example_text())
    assert profile.company_name == data["company"]["name"]
    assert profile.support_phone == data["support"]["phone"]
    assert profile.support_email == data["support"]["email"]
    assert profile.website_url == data["company"]["website_url"]
    assert profile.label("order history") == data["labels"]["Order History"]
    assert profile == replace(example_profile(), source=str(path))


def test_existing_file_is_read_not_overwritten(isolated_profile: Path) -> None:
    path = isolated_profile / "company.toml"
    path.write_text(
        '[company]\nname = "Acme"\n[support]\nphone = "+44 20 7946 0958"\n', encoding="utf-8"
    )
    profile = load_profile()
    assert profile.company_name == "Acme"
    assert profile.support_phone == "+44 20 7946 0958"
    assert profile.support_email == ""  # unknown, not invented
    assert profile.facts() == {"company_name": "Acme", "support_phone": "+44 20 7946 0958"}
    assert "Acme" in path.read_text(encoding="utf-8")


def test_invalid_toml_names_file_and_line(isolated_profile: Path) -> None:
    path = isolated_profile / "company.toml"
    path.write_text('[company]\nname = "Acme"\nphone = +44 20\n', encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile()
    message = str(info.value)
    assert str(path) in message and "line 3" in message


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("[company]\nname = 42\n", "company.name"),
        ('company = "x"\n', "[company]"),
        ('[labels]\n"Order History" = 3\n', "[labels]"),
    ],
)
def test_wrong_types_are_clear_errors(text: str, fragment: str) -> None:
    with pytest.raises(ProfileError, match=r"my\.toml") as info:
        parse_profile(text, source="my.toml")
    assert fragment in str(info.value)


def test_fallback_to_example_is_the_callers_choice(isolated_profile: Path) -> None:
    (isolated_profile / "company.toml").write_text("[[[", encoding="utf-8")
    with pytest.raises(ProfileError):
        load_profile()
    assert example_profile().company_name  # what a caller may choose to use instead


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    original = CompanyProfile(
        company_name="Zoë's Shop",
        support_email="help@zoe.example",
        labels={"Order History": "Mes commandes"},
    )
    path = save_profile(original, tmp_path / "sub" / "company.toml")
    loaded = load_profile(path)
    assert replace(loaded, source="", labels=dict(loaded.labels)) == original


def test_described_facts_cover_every_known_fact() -> None:
    profile = example_profile()
    described = profile.described_facts()
    assert sorted(described.values()) == sorted(profile.facts().values())
    assert all(name[:1].isupper() for name in described)
