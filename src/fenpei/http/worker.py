"""Who ran a job by hand through an HTTP door (the API's "run now" or the jobs page)."""

from __future__ import annotations

import os
import socket


def web_worker() -> str:
    """Who ran a job by hand, in the job-run's worker column: this web process."""
    return f"{socket.gethostname()}:{os.getpid()}:web"
