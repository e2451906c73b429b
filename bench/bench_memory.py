"""Resident memory of `assist demo` with every model loaded (budget: 500 MB).

Runs the real demo in a subprocess, samples its RSS every 20 ms and prints one JSON line with
the peak, the RSS once the models are loaded, and the ratio to the budget.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time

import psutil

BUDGET_MB = 500.0


def main() -> None:
    cmd = [sys.executable, "-m", "assist", "demo", "--speed", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ps = psutil.Process(proc.pid)
    peak = loaded = 0.0
    start = time.perf_counter()
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buffer = ""
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss / 1e6
        except psutil.NoSuchProcess:
            break
        peak = max(peak, rss)
        for _key, _ in sel.select(timeout=0.02):
            buffer += proc.stdout.read() or ""
        if not loaded and "models ready" in buffer:
            loaded = rss
    buffer += proc.stdout.read() or ""
    print(
        json.dumps(
            {
                "bench": "memory",
                "demo_peak_rss_mb": round(peak, 1),
                "rss_after_load_mb": round(loaded, 1),
                "budget_mb": BUDGET_MB,
                "peak_over_budget": round(peak / BUDGET_MB, 3),
                "demo_seconds": round(time.perf_counter() - start, 1),
                "exit_code": proc.returncode,
            }
        )
    )


if __name__ == "__main__":
    main()
