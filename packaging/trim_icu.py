#!/usr/bin/env python3
"""Trim the ICU data library PySide6 ships on Linux (libicudata.so.NN, 32 MB) to what Qt uses.

    packaging/trim_icu.py LIB [-o OUT]      (in place without -o)

Qt Core calls ICU for four things only: collation (QCollator, localeAwareCompare), case mapping
(QLocale::toUpper/toLower), named text codecs (QStringConverter beyond UTF-*/Latin-1) and time
zone names (QTimeZone::displayName). Its locale data (CLDR), text boundaries, IDNA and
normalisation are its own. So of ICU's data we keep (KEEP below): the root and English locales in
the main, collation, zone, currency, language, region and unit trees; the locale-independent
supplemental data (likely subtags, calendars and weeks, plurals, numbering systems, time zones:
zoneinfo64, metazones, tz types, Windows zones); the root collation (UCA, ucadata.icu); the
Unicode property and normalisation files not already compiled into libicuuc (emoji, layout,
NFKC, NFKC_Casefold, UTS #46); the converter alias table and the converters of the WHATWG
Encoding Standard's legacy encodings (what mail and web text in the wild uses). Dropped: every
other language's locale data (2,900 items, 18 MB; ICU falls back to the root locale: German
sorts as before, root order being German order, but Swedish or Turkish sort in root order, and
time zone names in other languages become English or "GMT+01:00"), the break-iterator rules and
dictionaries (3.4 MB; Qt has its own), transliteration, rule-based number spell-out, StringPrep
profiles, the spoof checker's confusables, character names, and some 150 EBCDIC, DOS, Mac and
CJK variant codepages (4 MB). Case mapping needs no data file: ICU's case and special-casing
(Turkish, Lithuanian, Greek, Dutch) tables are built into libicuuc. 32 MB -> 4.4 MB (ICU 73).

How: the data is one ICU common-data package in the library's only exported symbol
(icudtNN_dat). This script reads it from the ELF file, removes the items that KEEP does not
match with `icupkg` (ICU's tool: Debian's icu-devtools; it refuses a package with a missing
dependency, e.g. an extension converter without its base table), and assembles a new shared
object with the same soname exporting the same symbol (`.incbin`, 16-byte aligned, `cc
-shared -nostdlib`). The result depends only on the input and the KEEP list (no paths, no
times). Without icupkg or a C compiler, or on a library that is not ICU data, it prints
"trim_icu: skipped: ..." and leaves the library as it is (exit 0).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# Kept package items (names as `icupkg -l` prints them; `*` matches within a name, `/` too).
_LOCALES = ("root", "en", "en_*")  # en_*: the English variants (en_GB, en_US_POSIX, ...)
_LOCALE_TREES = ("", "coll/", "zone/", "curr/", "lang/", "region/", "unit/")
KEEP = (
    # root and English locale data, and each tree's shared key pool
    *(f"{tree}{loc}.res" for tree in _LOCALE_TREES for loc in _LOCALES),
    *(f"{tree}pool.res" for tree in _LOCALE_TREES if tree != "coll/"),
    # locale-independent data: versions, locale metadata and likely subtags, calendars, weeks
    # and units (supplementalData), plurals, numbering systems, keyword types
    "icuver.res", "icustd.res", "metadata.res", "likelySubtags.res", "langInfo.res",
    "supplementalData.res", "keyTypeData.res", "numberingSystems.res", "plurals.res",
    "pluralRanges.res", "dayPeriods.res", "genderList.res", "grammaticalFeatures.res",
    "units.res", "currencyNumericCodes.res", "curr/supplementalData.res",
    # time zones: rules, metazones, tz types, Windows zone ids, tzdb abbreviations
    "zoneinfo64.res", "metaZones.res", "timezoneTypes.res", "windowsZones.res",
    "zone/tzdbNames.res",
    # root collation (the UCA table; English uses it untailored)
    "coll/ucadata.icu",
    # Unicode properties and normalisation (case, bidi, core properties, NFC are in libicuuc)
    "uemoji.icu", "ulayout.icu", "nfkc.nrm", "nfkc_cf.nrm", "uts46.nrm",
    # converters: the alias table, then the WHATWG legacy encodings (UTF-*, ISO-8859-1,
    # US-ASCII, UTF-7, the ISO-2022 framing are algorithmic: no data)
    "cnvalias.icu",
    "ibm-5346_P100-1998.cnv", "ibm-5347_P100-1998.cnv", "ibm-5348_P100-1997.cnv",  # windows-1250..2
    "ibm-5349_P100-1998.cnv", "ibm-5350_P100-1998.cnv", "ibm-9447_P100-2002.cnv",  # 1253..5
    "ibm-9448_X100-2005.cnv", "ibm-9449_P100-2002.cnv", "ibm-5354_P100-1998.cnv",  # 1256..8
    "windows-874-2000.cnv",  # windows-874 (Thai)
    "ibm-912_P100-1995.cnv", "ibm-913_P100-2000.cnv", "ibm-914_P100-1995.cnv",  # ISO-8859-2..4
    "ibm-915_P100-1995.cnv", "ibm-1089_P100-1995.cnv", "ibm-9005_X110-2007.cnv",  # 8859-5..7
    "ibm-5012_P100-1999.cnv", "iso-8859_10-1998.cnv", "ibm-921_P100-1995.cnv",  # 8859-8,10,13
    "iso-8859_14-1998.cnv", "ibm-923_P100-1998.cnv",  # ISO-8859-14, -15
    "ibm-878_P100-1996.cnv", "ibm-1168_P100-2002.cnv", "ibm-866_P100-1995.cnv",  # KOI8-R/U, IBM866
    "macos-0_2-10.2.cnv", "macos-7_3-10.2.cnv",  # macintosh, x-mac-cyrillic
    "ibm-943_P15A-2003.cnv",  # Shift_JIS (also the JIS X 0208 table ISO-2022-JP uses)
    "euc-jp-2007.cnv",  # EUC-JP
    "windows-936-2000.cnv", "ibm-1386_P100-2001.cnv", "gb18030.cnv",  # GBK (2 files), GB18030
    "windows-950-2000.cnv", "ibm-1373_P100-2002.cnv",  # Big5 (an extension and its base)
    "ibm-970_P110_P110-2006_U2.cnv",  # EUC-KR
    "windows-949-2000.cnv", "ibm-1363_P11B-1998.cnv",  # windows-949 (ks_c_5601-1987: Outlook)
)  # fmt: skip


def log(msg: str) -> None:
    print(f"trim_icu: {msg}", flush=True)


class Skip(Exception):
    """Leave the library as it is (a tool is missing, or it is not what we expect)."""


def elf_data_symbol(lib: Path) -> tuple[str, str, int, int]:
    """(soname, icudtNN_dat, file offset, size) of the ICU data symbol in an ELF shared object."""
    data = lib.read_bytes()
    if data[:4] != b"\x7fELF":
        raise Skip(f"{lib} is not an ELF file")
    is64, endian = data[4] == 2, "<" if data[5] == 1 else ">"
    if is64:
        shoff, shentsize, shnum = struct.unpack_from(endian + "Q10xHH", data, 0x28)
        sh_fmt, sym_fmt, sym_size = "IIQQQQIIQQ", "IBBHQQ", 24
    else:
        shoff, shentsize, shnum = struct.unpack_from(endian + "I10xHH", data, 0x20)
        sh_fmt, sym_fmt, sym_size = "IIIIIIIIII", "IIIBBH", 16
    sections = [
        struct.unpack_from(endian + sh_fmt, data, shoff + i * shentsize) for i in range(shnum)
    ]

    def strz(table: int, index: int) -> str:
        start = sections[table][4] + index
        return data[start : data.index(b"\0", start)].decode()

    soname = symbol = None
    for sh_type, link, offset, size in ((s[1], s[6], s[4], s[5]) for s in sections):
        if sh_type == 11:  # SHT_DYNSYM
            for i in range(size // sym_size):
                if is64:
                    name, _info, _other, shndx, value, sym_len = struct.unpack_from(
                        endian + sym_fmt, data, offset + i * sym_size
                    )
                else:
                    name, value, sym_len, _info, _other, shndx = struct.unpack_from(
                        endian + sym_fmt, data, offset + i * sym_size
                    )
                sym_name = strz(link, name)
                if re.fullmatch(r"icudt\d+_dat", sym_name) and 0 < shndx < shnum:
                    sec = sections[shndx]
                    symbol = (sym_name, sec[4] + value - sec[3], sym_len)
        elif sh_type == 6:  # SHT_DYNAMIC: DT_SONAME (14)
            tag_fmt = endian + ("qQ" if is64 else "iI")
            step = struct.calcsize(tag_fmt)
            for i in range(size // step):
                tag, val = struct.unpack_from(tag_fmt, data, offset + i * step)
                if tag == 14:
                    soname = strz(link, val)
    if symbol is None or soname is None:
        raise Skip(f"{lib} exports no icudtNN_dat symbol (or has no soname): not ICU data")
    return soname, *symbol


def tool(name: str, *fallbacks: str) -> str | None:
    # icupkg lives in /usr/sbin on Debian, which a user's PATH may lack
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    for candidate in (name, *fallbacks):
        if candidate and (found := shutil.which(candidate, path=path)):
            return found
    return None


def run(*cmd: str, cwd: Path) -> str:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"trim_icu: {' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
    return out.stdout


def trim(lib: Path, out: Path) -> None:
    if not sys.platform.startswith("linux"):
        raise Skip("not Linux")
    icupkg = tool("icupkg")
    if icupkg is None:
        raise Skip("no icupkg (Debian/Ubuntu: apt install icu-devtools)")
    cc = tool(os.environ.get("CC", ""), "cc", "gcc", "clang")
    if cc is None:
        raise Skip("no C compiler (cc, gcc or clang; or set CC)")
    soname, symbol, offset, size = elf_data_symbol(lib)
    before = lib.stat().st_size
    blob = lib.read_bytes()[offset : offset + size]
    if blob[12:16] != b"CmnD":
        raise Skip(f"{symbol} in {lib} is not an ICU common-data package")
    # icupkg names a package's items after its file name (icudt73l/coll/root.res, which is
    # what ICU looks up): keep that name, in three folders
    pkg = symbol.removesuffix("_dat") + ("l" if blob[8] == 0 else "b") + ".dat"
    with tempfile.TemporaryDirectory(prefix="trim-icu-") as tmp_name:
        tmp = Path(tmp_name)
        for sub in ("in", "out", "check"):
            (tmp / sub).mkdir()
        (tmp / "in" / pkg).write_bytes(blob)
        listing = subprocess.run(
            [icupkg, "-l", f"in/{pkg}"], cwd=tmp, capture_output=True, text=True
        )
        if listing.returncode != 0:
            raise Skip(f"{icupkg} cannot read this ICU data: {listing.stderr.strip()}")
        items = listing.stdout.split()
        kept = [i for i in items if any(fnmatch.fnmatchcase(i, p) for p in KEEP)]
        for pattern in KEEP:  # a renamed item in a newer ICU: say so, keep going
            if not any(fnmatch.fnmatchcase(i, pattern) for i in kept):
                log(f"warning: no item matches {pattern!r}")
        (tmp / "remove.txt").write_text("".join(f"{i}\n" for i in items if i not in kept))
        # -r refuses to write a package with a missing dependency
        run(icupkg, "-r", "remove.txt", f"in/{pkg}", f"out/{pkg}", cwd=tmp)
        (tmp / "data.S").write_text(
            "\t.section .rodata\n"
            f"\t.globl {symbol}\n"
            f"\t.type {symbol}, %object\n"
            "\t.balign 16\n"
            f"{symbol}:\n"
            f'\t.incbin "out/{pkg}"\n'
            f"\t.size {symbol}, . - {symbol}\n"
            '\t.section .note.GNU-stack,"",%progbits\n'
        )
        run(
            cc, "-shared", "-nostdlib", "-s", f"-Wl,-soname,{soname}", "-Wl,-z,noexecstack",
            "-o", "lib.so", "data.S", cwd=tmp,
        )  # fmt: skip
        # read it back as ICU will: the same soname and symbol, aligned, the kept items
        new_soname, new_symbol, new_offset, new_size = elf_data_symbol(tmp / "lib.so")
        new_blob = (tmp / "lib.so").read_bytes()[new_offset : new_offset + new_size]
        (tmp / "check" / pkg).write_bytes(new_blob)
        if (new_soname, new_symbol, new_offset % 16) != (soname, symbol, 0):
            sys.exit(f"trim_icu: the new library exports {new_symbol} at {new_offset:#x}")
        if run(icupkg, "-l", f"check/{pkg}", cwd=tmp).split() != kept:
            sys.exit("trim_icu: the trimmed package does not hold exactly the kept items")
        mode = lib.stat().st_mode & 0o777
        staged = out.with_name(out.name + ".trim-icu")
        shutil.copyfile(tmp / "lib.so", staged)
        staged.chmod(mode)
        os.replace(staged, out)
    mb = f"{before / 1e6:.1f} -> {out.stat().st_size / 1e6:.1f} MB"
    log(f"{lib.name}: {len(items)} -> {len(kept)} items, {mb}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("lib", type=Path, help="libicudata.so.NN (PySide6/Qt/lib)")
    parser.add_argument("-o", "--output", type=Path, help="write here (default: in place)")
    args = parser.parse_args(argv)
    try:
        # in place: replace the file a symlink (PyInstaller's _internal/libicudata.so.73) names
        trim(args.lib, args.output or args.lib.resolve())
    except Skip as why:
        log(f"skipped: {why}; {args.lib.name} left as it is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
