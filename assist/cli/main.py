"""`assist` command: one entry point, a sub-command per job, all on the same engine."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable

from assist import __version__, bundle
from assist.artifacts import ModelError
from assist.settings import SettingsError

# nothing may be fetched from a hub at run time
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="replay the bundled demo conversations with live assistance")
    p.add_argument("--conversation", help="only this demo conversation id (default: all)")
    p.add_argument(
        "--speed",
        type=float,
        default=4.0,
        help="replay speed: 1 = real pauses between messages, 0 = no pauses",
    )
    p.add_argument("--no-generate", action="store_true", help="retrieval suggestions only")
    p.add_argument("--n", type=int, default=None, help="suggestions per customer message")


def _add_app(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="the desktop app (live assist beside your helpdesk)")
    from assist.cli.app_args import add_arguments

    add_arguments(p)


def _add_classify(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="one message per stdin line -> one JSON analysis per line")
    p.add_argument("--batch", type=int, default=32, help="messages per model call")


def _add_suggest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suggest", help="conversation JSONL on stdin -> suggestions JSON")
    p.add_argument("--n", type=int, default=None, help="how many suggestions (default 3)")
    p.add_argument("--no-generate", action="store_true", help="retrieval suggestions only")
    p.add_argument("--seed", type=int, default=None, help="sampling seed for the generated one")
    p.add_argument(
        "--remote",
        metavar="URL",
        help="draft on this OpenAI-compatible server (e.g. http://host:8000/v1); key from the "
        "keyring or ASSIST_API_KEY",
    )
    p.add_argument("--model", help="model name on the --remote server (default: its first)")
    p.add_argument(
        "--mode",
        choices=("fallback", "remote"),
        default=None,
        help="fallback: the local model answers when the server fails (default); remote: only "
        "the server",
    )


def _add_remote(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("remote", help="the remote inference server: API key, test connection")
    from assist.cli.remote_cmd import add_arguments

    add_arguments(p)


def _add_flags(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flags", help="conversation JSONL on stdin -> one JSON line per flag")
    p.add_argument("--now", help="ISO-8601 time the wait rule measures against (default: now)")


def _add_store(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("store", help="the team store: migrate, stats, export")
    from assist.cli.store_cmd import add_arguments

    add_arguments(p)


def _add_feedback(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feedback", help="the agents' feedback on suggestions: export as JSONL")
    from assist.cli.feedback_cmd import add_arguments

    add_arguments(p)


def _add_models(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="build, list, verify or add the model artifacts")
    msub = p.add_subparsers(dest="models_cmd", required=True)
    b = msub.add_parser("build", help="build missing or stale models into the cache")
    b.add_argument("components", nargs="*", help="encoder, heads, llm (default: all)")
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    msub.add_parser("list", help="list built models and the installed language models")
    msub.add_parser("verify", help="check sha256 of every file and run a smoke inference")
    e = msub.add_parser(
        "export",
        help="add a Hugging Face causal LM folder as a local drafting model (int4 ONNX)",
        description="Convert a Hugging Face chat model folder (config.json, tokenizer, "
        "safetensors) to the app's int4 ONNX layout; select it with the setting llm.model.",
    )
    e.add_argument("--hf", required=True, metavar="DIR", help="the Hugging Face model folder")
    e.add_argument("--name", required=True, help="name to install it under (see `models list`)")
    e.add_argument("--force", action="store_true", help="replace a model of the same name")
    r = msub.add_parser(
        "retrain",
        help="refit the intent head with `assist feedback export` data; installs only if no "
        "dev figure drops",
    )
    from assist.cli.retrain_cmd import add_arguments as add_retrain_arguments

    add_retrain_arguments(r)


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="quality figures on the dev splits")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--grounding-samples",
        type=int,
        default=24,
        help="generated suggestions to check for invented facts (0 = skip)",
    )
    # `assist eval` alone keeps its old meaning; `assist eval replies` scores the drafts
    esub = p.add_subparsers(
        dest="eval_what", metavar="{replies}", help="replies: score the reply suggestions"
    )
    r = esub.add_parser("replies", help="score the reply suggestions against Bitext's replies")
    r.add_argument("--n", type=int, default=150, help="dev rows to score (default 150)")
    r.add_argument("--seed", type=int, default=0, help="sampling seed of the drafts")
    r.add_argument(
        "--baseline-model",
        metavar="DIR",
        help="also score drafts from this onnxruntime-genai folder (with genai_config.json)",
    )
    r.add_argument(
        "--train-per-intent",
        type=int,
        default=30,
        help="train rows per intent for the intent centroids and nearest-train replies",
    )
    r.add_argument("--json", dest="json_file", metavar="FILE", help="also write the report here")


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="the language model behind an OpenAI-compatible API")
    from assist.cli.serve_cmd import add_arguments

    add_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assist", description=__doc__)
    parser.add_argument("--version", action="version", version=f"assist {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_app,
        _add_demo,
        _add_classify,
        _add_suggest,
        _add_flags,
        _add_models,
        _add_eval,
        _add_store,
        _add_feedback,
        _add_serve,
        _add_remote,
    ):
        add(sub)
    return parser


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    # imported lazily so `assist --help` and `assist models build` stay fast and light
    if name == "app":
        from assist.cli.app_cmd import run
    elif name == "demo":
        from assist.cli.demo import run
    elif name == "classify":
        from assist.cli.classify import run
    elif name == "suggest":
        from assist.cli.suggest import run
    elif name == "flags":
        from assist.cli.flags_cmd import run
    elif name == "models":
        from assist.cli.models_cmd import run
    elif name == "store":
        from assist.cli.store_cmd import run
    elif name == "feedback":
        from assist.cli.feedback_cmd import run
    elif name == "serve":
        from assist.cli.serve_cmd import run
    elif name == "remote":
        from assist.cli.remote_cmd import run
    else:
        from assist.cli.eval_cmd import run
    return run


def main(argv: list[str] | None = None) -> int:
    # the app's generator runs in a spawned child process; in a frozen (packaged) build the
    # child re-enters here, and this hands it to multiprocessing instead of the CLI
    multiprocessing.freeze_support()
    bundle.configure()  # a packaged app reads the models it carries
    # commands report problems on stderr themselves; the app and `assist serve` also log to
    # the profile's log file (assist.logs) — never Python's last-resort stderr echo
    logging.getLogger().addHandler(logging.NullHandler())
    args = build_parser().parse_args(argv)
    try:
        return _command(args.command)(args)
    except (ModelError, SettingsError) as e:
        print(f"assist {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `assist classify | head` is fine
        return 0


if __name__ == "__main__":
    sys.exit(main())
