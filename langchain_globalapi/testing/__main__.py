"""Command line: run the fake OpenAI server in the foreground until Ctrl-C or SIGTERM.

`python -m langchain_globalapi.testing --port 8765`, then point any OpenAI client at the
printed base URL (for benchmarks and manual demos).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from langchain_globalapi.testing.server import FakeOpenAIServer


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve until interrupted, return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m langchain_globalapi.testing",
        description="Serve a deterministic OpenAI-compatible API on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (IPv4)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one")
    parser.add_argument("--embedding-dim", type=int, default=256, help="embedding dimension")
    parser.add_argument(
        "--reject-unknown-models",
        action="store_true",
        help="answer 404 model_not_found for models not in /v1/models",
    )
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(
        args.host,
        args.port,
        embedding_dim=args.embedding_dim,
        reject_unknown_models=args.reject_unknown_models,
    )
    with server:
        # Flushed at once so a parent process can read the URL from a pipe.
        sys.stdout.write(f"Serving OpenAI-compatible API on {server.base_url}\n")
        sys.stdout.flush()
        stopped = threading.Event()
        # SIGTERM (what process managers and `Popen.terminate()` send) shuts down cleanly too.
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stopped.set())
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
