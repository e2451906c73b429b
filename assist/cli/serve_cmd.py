"""``assist serve``: the local language model behind an OpenAI-compatible API.

Loads only the language model (the same artifact the engine's suggestions use, with the
engine's thread and sampling settings): the encoder and the macro library aren't needed to
answer chat completions. Exit codes: 0 after a clean shutdown, 1 for a missing/broken model,
2 when the address or port can't be used (e.g. a LAN address without an API key).
"""

from __future__ import annotations

import argparse
import sys

from assist.serve.keys import KeyFileError, KeyStore

MODEL_NAME = "smollm2-135m-instruct"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--add-key", action="store_true", help="create an API key, print it once, and exit"
    )
    p.add_argument(
        "--max-queue", type=int, default=8, help="requests that may wait for the model (429 beyond)"
    )
    p.add_argument("--max-tokens", type=int, default=512, help="largest max_tokens allowed")
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where the model runs: auto = CUDA when onnxruntime-gpu sees a GPU, else CPU",
    )


def run(args: argparse.Namespace) -> int:
    keys = KeyStore()
    if args.add_key:
        try:
            key = keys.add_key()
        except KeyFileError as e:
            print(f"assist serve: error: {e}", file=sys.stderr)
            return 1
        print(key)
        print(
            f"(shown once; only its hash is kept in {keys.path}. Clients send it as "
            "'Authorization: Bearer <key>')",
            file=sys.stderr,
        )
        return 0
    if args.max_queue < 0 or args.max_tokens < 1:
        print("assist serve: error: --max-queue must be >= 0, --max-tokens >= 1", file=sys.stderr)
        return 2

    from assist.artifacts import ModelError
    from assist.runtime.generator import Generator
    from assist.serve.api import create_app
    from assist.serve.server import ServeError, ServeServer, bind_address
    from assist.serve.worker import ModelWorker
    from assist.settings import Settings

    try:
        has_keys = keys.has_keys()
        bind_address(args.host, has_keys)  # refuse before spending seconds loading the model
    except (ServeError, KeyFileError) as e:
        print(f"assist serve: error: {e}", file=sys.stderr)
        return 2
    from assist.logs import setup_logging

    setup_logging()
    settings = Settings.load()
    threads = settings["runtime.threads"] or None
    device = args.device
    if device == "auto":
        from assist.runtime.kv_decoder import cuda_available

        device = "cuda" if cuda_available() else "cpu"
    try:
        model = Generator.load(threads=threads, device=device)
    except ModelError as e:
        if args.device != "auto" or device == "cpu":
            raise
        print(f"assist serve: CUDA failed ({e}); using the CPU", file=sys.stderr)
        device = "cpu"
        model = Generator.load(threads=threads)
    worker = ModelWorker(model, max_queue=args.max_queue)
    from assist.runtime.generator import SamplingParams

    base = SamplingParams(
        temperature=settings["generation.temperature"],
        top_k=settings["generation.top_k"],
        top_p=settings["generation.top_p"],
        repetition_penalty=settings["generation.repetition_penalty"],
        copy_bias=settings["generation.copy_bias"],  # the app's local drafts have it too
        max_tokens=min(settings["generation.max_tokens"], args.max_tokens),
    )
    app = create_app(worker, MODEL_NAME, keys, base, max_tokens_cap=args.max_tokens)
    try:
        server = ServeServer(app, args.host, args.port, has_keys)
        print(
            f"assist serve: {MODEL_NAME} ({device}) on {server.url}/v1 "
            f"({'API key required' if has_keys else 'no API key: loopback only'}); Ctrl+C stops",
            file=sys.stderr,
        )
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # uvicorn shuts down on Ctrl+C / SIGTERM, then re-raises the signal: that is clean
    except ServeError as e:
        print(f"assist serve: error: {e}", file=sys.stderr)
        return 2
    finally:
        worker.close()
        model.close()
    return 0
