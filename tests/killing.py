"""Start a real process, wait until it has done some work, kill -9 it: the shared step of the kill tests."""

import os
import signal
import subprocess
import time
from typing import Callable, Optional


def kill_9_when(command: list[str], done: Callable[[], int], at_least: int, env: Optional[dict] = None,
                timeout: float = 180) -> int:
    """Run ``command``, SIGKILL it once ``done()`` reaches ``at_least`` (or it exits); return ``done()`` after."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while done() < at_least and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, (f"the process ended by itself (exit {proc.returncode}) before "
                                                f"{at_least} were done: " + proc.stderr.read().decode()[-2000:])
    return done()
