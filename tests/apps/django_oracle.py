"""Real Django answering requests in a process of its own (one per settings module).

Run as a script: DJANGO_SETTINGS_MODULE (and the variant's environment) set, the
project's folder first on sys.path, a JSON list of requests on stdin (method, path,
scheme as the app server sets wsgi.url_scheme, headers). It answers each through
Django's own WSGI handler and writes a JSON list of (status, the django.security
log message, or None) to stdout.
"""

from __future__ import annotations

import io
import json
import logging
import sys


class _Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _environ(req: dict) -> dict:
    body = req.get("body", "").encode()
    env = {"REQUEST_METHOD": req["method"], "PATH_INFO": req["path"], "QUERY_STRING": "",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
           "SCRIPT_NAME": "", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": req["scheme"],
           "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
           "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
           "CONTENT_LENGTH": str(len(body))}
    if body:
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    for name, value in req["headers"].items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def main() -> None:
    from django.core.wsgi import get_wsgi_application
    application = get_wsgi_application()
    keep = _Keep()
    for name in ("django.security.csrf", "django.security.DisallowedHost"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [keep]
        logger.propagate = False
    out = []
    for req in json.load(sys.stdin):
        keep.messages.clear()
        got = {}

        def start_response(status, headers, exc_info=None, got=got):
            got["status"] = int(status.split(" ", 1)[0])
        body = b"".join(application(_environ(req), start_response))
        del body
        out.append((got["status"], keep.messages[-1] if keep.messages else None))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
