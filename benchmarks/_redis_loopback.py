"""Start a throwaway `redis-server` on loopback for the cache benchmarks (when one is installed)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time


def start_redis_server(workdir: str) -> tuple[subprocess.Popen[bytes], str] | None:
    """A running `redis-server` and its URL, or `None` when the binary is missing or never answers.

    The caller kills the process when done.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.02)
    process.kill()
    return None
