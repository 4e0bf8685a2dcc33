"""Structured logging: one JSON object per line in production, readable text in development."""

from __future__ import annotations

import logging
import sys
import time
import uuid

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter


class RequestContextFilter(logging.Filter):
    """Adds the request id to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def init_app(app: Flask) -> None:
    logger = logging.getLogger("barometre")
    logger.setLevel(app.config["LOG_LEVEL"])
    _install_request_hooks(app, logger)
    if app.testing:
        # Let records reach pytest's own capture instead of a stream it will close.
        logger.handlers.clear()
        logger.propagate = True
        return
    handler = logging.StreamHandler(sys.stderr)
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    handler.addFilter(RequestContextFilter())
    logger.handlers[:] = [handler]
    logger.propagate = False


def _install_request_hooks(app: Flask, logger: logging.Logger) -> None:
    """One log line per request, with its id, method, path, status and duration."""

    @app.before_request
    def _start_timer() -> None:
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):  # type: ignore[no-untyped-def]
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        logger.info(
            "%s %s %s %.1f ms",
            request.method,
            request.path,
            response.status_code,
            elapsed_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed_ms, 1),
            },
        )
        return response
