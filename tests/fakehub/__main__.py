"""Serve the fake hub until interrupted: ``python -m tests.fakehub --port 8765``.

Point clients at it with ``HF_ENDPOINT=http://127.0.0.1:8765`` (set before
``huggingface_hub`` is imported) or ``HfApi(endpoint=...)``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .records import DEFAULT_REPOS_DIR
from .server import FakeHub


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakehub", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind, 0 for any free port (default: 8765)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every request, in ms")
    parser.add_argument("--repos", type=Path, default=DEFAULT_REPOS_DIR, help="directory of recorded repos")
    parser.add_argument("--page-size", type=int, default=1000, help="items per listing page (default: 1000)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    hub = FakeHub(
        args.repos, latency=args.latency_ms / 1000, host=args.host, port=args.port,
        page_size=args.page_size, verbose=args.verbose,
    )  # fmt: skip
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with hub:
        print(f"Fake Hugging Face Hub serving {len(hub.repo_ids())} repos at {hub.url}", flush=True)
        while not stop.wait(1.0):
            pass
    print("Fake hub stopped.", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
