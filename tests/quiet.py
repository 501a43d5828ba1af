"""``QuietHTTPServer``: the threading HTTP server every test server here builds on."""

from __future__ import annotations

import http.server
import sys
from typing import Any

__all__ = ["QuietHTTPServer"]


class QuietHTTPServer(http.server.ThreadingHTTPServer):
    """Handler threads are daemons, and a client that hung up is not printed: a test that gave
    up on a stalled answer leaves a handler writing into a closed socket after the test ended,
    and the default ``handle_error`` prints that traceback into the next test's captured stderr
    (where a test reading its first line of error output then finds dashes)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)
