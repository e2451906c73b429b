"""The user's own library folder (``<profile>/library``), re-read only where it changed.

A fingerprint of the folder (relative names, sizes, modification times) tells cheaply whether
anything changed; then only the added or modified files are parsed again, and the vector cache
makes sure only their new texts are encoded.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from assist.retrieval.items import LibraryItem
from assist.retrieval.sources import read_user_file

log = logging.getLogger(__name__)

SUFFIXES = (".md", ".markdown", ".csv")
README = """# Your library

Put your own reply macros and knowledge-base articles here; Assist suggests them beside its own.

- Markdown (`.md`): one macro or article per file. Optional front matter:

      ---
      title: Returns policy
      intent: check_refund_policy
      kind: article        # or macro; short files without headings count as macros
      ---

  or simply a first `# Title` line. Articles are cited by the sentence that answers.
- CSV (`.csv`): one macro per row, columns `title`, `intent`, `text` (also: body, response, reply).

Placeholders such as {{Order Number}} are kept and filled in when the conversation knows them.
"""

Signature = tuple[int, int]  # (size, mtime_ns)


class UserFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, tuple[Signature, list[LibraryItem], list[str]]] = {}
        self._ignored: set[str] = set()
        self._fingerprint: tuple[tuple[str, int, int], ...] | None = None

    def ensure(self) -> None:
        """Create the folder (with a README saying what goes in it) on first use."""
        if not self.root.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "README.txt").write_text(README, encoding="utf-8")

    def _listing(self) -> dict[str, tuple[str, Signature]]:
        """Library files by relative name (os.scandir: a stat each, no pathlib overhead)."""
        found: dict[str, tuple[str, Signature]] = {}
        pending = [(str(self.root), "")]
        while pending:
            folder, prefix = pending.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                rel = prefix + entry.name
                try:
                    if entry.is_dir():
                        pending.append((entry.path, rel + "/"))
                        continue
                    if not entry.is_file():
                        continue
                    if not entry.name.lower().endswith(SUFFIXES):
                        self._ignore(rel)
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                found[rel] = (entry.path, (st.st_size, st.st_mtime_ns))
        return found

    def _ignore(self, rel: str) -> None:
        if rel != "README.txt" and rel not in self._ignored:
            self._ignored.add(rel)
            log.warning("library file %s ignored: not Markdown (.md) or CSV", self.root / rel)

    def scan(self) -> bool:
        """Re-read what changed since the last scan; True when anything did."""
        listing = self._listing()
        fingerprint = tuple(sorted((rel, *sig) for rel, (_, sig) in listing.items()))
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        for rel in self._files.keys() - listing.keys():
            del self._files[rel]
        for rel, (path, sig) in listing.items():
            known = self._files.get(rel)
            if known is None or known[0] != sig:
                items, problems = read_user_file(Path(path), self.root)
                for problem in problems:
                    log.warning("%s", problem)
                self._files[rel] = (sig, items, problems)
        return True

    @property
    def items(self) -> list[LibraryItem]:
        return [item for rel in sorted(self._files) for item in self._files[rel][1]]

    @property
    def problems(self) -> list[str]:
        return [p for rel in sorted(self._files) for p in self._files[rel][2]]
