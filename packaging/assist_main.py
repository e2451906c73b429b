"""The packaged app's entry point: ``Assist`` starts the desktop app (``assist app``).

``Assist --demo``, ``Assist --self-test`` and the other app options go to ``assist app``; a
sub-command (``Assist models verify``) runs as the ``assist`` command would.
"""

import multiprocessing
import sys

# first: in the frozen build the drafting child process re-enters here (spawn)
multiprocessing.freeze_support()

from assist.cli.main import main  # noqa: E402

NOT_APP = {"-h", "--help", "--version"}


def app_argv(argv: list[str]) -> list[str]:
    argv = [a for a in argv if not a.startswith("-psn_")]  # old macOS Finder's process serial
    if not argv or (argv[0].startswith("-") and argv[0] not in NOT_APP):
        return ["app", *argv]
    return argv


if __name__ == "__main__":
    sys.exit(main(app_argv(sys.argv[1:])))
