"""HTTP security headers (Flask-Talisman) and the cookie flags that go with them.

Every response carries a Content-Security-Policy, X-Frame-Options: DENY (and
`frame-ancestors 'none'`), X-Content-Type-Options: nosniff and a
Referrer-Policy; over HTTPS in production also Strict-Transport-Security.
Session and remember-me cookies are `Secure` in production (config
`HTTPS_ONLY`), `HttpOnly` and `SameSite=Lax` everywhere.

Scripts: only this site's files and inline scripts carrying the request's
nonce. FAB 5.3's own templates put `nonce="{{ baselib.get_nonce() }}"` on
every script they write (that macro calls Talisman's `csp_nonce()`), and so do
ours, so no 'unsafe-inline' for scripts is needed. Styles allow
'unsafe-inline': FAB's templates, Bootstrap and select2 write `style=""`
attributes, which a nonce cannot cover.

rq-dashboard (the Admin's job monitor) renders its rows with Underscore
templates, compiled by `new Function`: its pages alone add 'unsafe-eval'.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_talisman import Talisman

SELF = "'self'"

CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "default-src": SELF,
    "script-src": SELF,  # plus the per-request nonce
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:"],
    "font-src": [SELF, "data:"],
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "form-action": SELF,
    "frame-ancestors": "'none'",
}

# rq-dashboard pages: Underscore's templates are compiled with `new Function`.
JOB_MONITOR_POLICY: dict[str, Any] = {
    **CONTENT_SECURITY_POLICY,
    "script-src": [SELF, "'unsafe-eval'"],
}


def install(app: Flask) -> None:
    """Security headers on every response; cookie flags from the config."""
    https_only = bool(app.config.get("HTTPS_ONLY"))
    app.config["SESSION_COOKIE_SECURE"] = https_only
    app.config["REMEMBER_COOKIE_SECURE"] = https_only
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.extensions["talisman"] = Talisman(
        app,
        # TLS ends at the reverse proxy; the proxy redirects plain HTTP.
        force_https=False,
        strict_transport_security=https_only,
        strict_transport_security_max_age=365 * 24 * 3600,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=https_only,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="same-origin",
        x_content_type_options=True,
    )


def relax_for_job_monitor(app: Flask, blueprint_name: str) -> None:
    """rq-dashboard's views get JOB_MONITOR_POLICY (Admin only, see module doc)."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith(blueprint_name + "."):
            app.view_functions[endpoint] = _with_policy(view, JOB_MONITOR_POLICY)


def _with_policy(view: Callable[..., Any], policy: dict[str, Any]) -> Any:
    """The view under its own policy (Talisman reads `talisman_view_options`)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    wrapped.talisman_view_options = {  # type: ignore[attr-defined]
        "content_security_policy": policy,
        "content_security_policy_nonce_in": ["script-src"],
    }
    return wrapped
