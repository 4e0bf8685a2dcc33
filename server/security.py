"""Security headers on every response: pages, API, static files, errors and ``/sw.js``.

One ``after_request`` hook, so that no view can forget them. A view that sets one of these
headers itself keeps its own value (``setdefault``).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

#: The Content-Security-Policy, directive by directive, with why each source is allowed.
#: No directive allows ``'unsafe-inline'`` or ``'unsafe-eval'``: an injected ``<script>``,
#: ``onclick=`` or ``style=`` is refused by the browser. Pages hand data to their scripts in
#: ``<script type="application/json">`` blocks, which CSP does not execute.
CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # data: the SVG icons inlined in Swagger UI's stylesheet; blob: the preview of a photo the
    # investigator has just taken, shown before it is sent (static/js/photos.js).
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    # The phone pages' service worker is /sw.js on our own origin.
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
CONTENT_SECURITY_POLICY = "; ".join(f"{name} {value}" for name, value in CSP_DIRECTIVES.items())

#: The phone takes photos and records where a visit took place; nothing else is needed, and no
#: other origin (an embedded frame) gets even these.
PERMISSIONS_POLICY = ", ".join(
    [
        "camera=(self)",
        "geolocation=(self)",
        "microphone=()",
        "payment=()",
        "usb=()",
        "midi=()",
        "display-capture=()",
        "accelerometer=()",
        "gyroscope=()",
        "magnetometer=()",
    ]
)

#: A year, with subdomains: browsers then refuse plain HTTP to the site, even for a first typed
#: address. Only in production, which already serves its cookies over HTTPS only: a developer's
#: http://127.0.0.1 must not be pinned to HTTPS.
HSTS = "max-age=31536000; includeSubDomains"

BASE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Same-origin requests keep their Referer: Flask-WTF's CSRF check needs it over HTTPS.
    # Other sites never see our paths (they carry mission and campaign numbers).
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    # frame-ancestors says the same to current browsers; this is for older ones.
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def security_headers(production: bool) -> dict[str, str]:
    """The headers every response carries under this profile."""
    headers = dict(BASE_HEADERS)
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def init_app(app: Flask) -> None:
    headers = security_headers(app.config["ENV_PROFILE"] == "production")

    @app.after_request
    def _add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
