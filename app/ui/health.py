"""`GET /health`: JSON for monitors and load balancers (app.services.core.health).

No sign-in: it names no record and no user, only whether the parts answer.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify


def health() -> Response:
    from app.services.core.health import report

    body, serving = report()
    response = jsonify(body)
    response.status_code = 200 if serving else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.add_url_rule("/health", "health", health, methods=["GET"])
