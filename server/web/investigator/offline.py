"""What makes the phone pages work offline: the web app manifest and the service worker.

The service worker is served from the site's root so that its scope covers ``/missions``; its
text carries the app version, so a deployment whose phone assets changed installs a new worker
(with a new shell cache) at the next opening. The version defaults to a digest of those assets;
``PHONE_APP_VERSION`` overrides it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, render_template, url_for

from server.web.investigator.routes import bp

#: The app shell: cached at install, served from the cache first (paths under /static).
SHELL = (
    "css/app.css",
    "js/conditions.js",
    "js/store.js",
    "js/sync.js",
    "js/photos.js",
    "js/report.js",
    "js/reply.js",
    "js/phone.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


def phone_app_version(app: Flask) -> str:
    """The configured version, else a digest of the shell and of the worker's template."""
    configured = app.config.get("PHONE_APP_VERSION")
    if configured:
        return str(configured)
    cached = app.extensions.get("barometre.phone_version")
    if cached is None:
        digest = hashlib.sha256()
        static = Path(app.static_folder or "")
        template = Path(__file__).parent / "templates" / "investigator" / "sw.js"
        for path in [*(static / name for name in SHELL), template]:
            digest.update(path.read_bytes())
        cached = digest.hexdigest()[:12]
        app.extensions["barometre.phone_version"] = cached
    return str(cached)


@bp.route("/sw.js")
def service_worker() -> Response:
    """Public (it holds no data): the login page may register it too."""
    body = render_template(
        "investigator/sw.js",
        version=phone_app_version(current_app),
        shell=[url_for("static", filename=name) for name in SHELL],
    )
    response = Response(body, mimetype="text/javascript")
    # Browsers check for a new worker at each opening; never let a proxy keep an old one.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
def manifest() -> Response:
    document = {
        "name": "Baromètre – enquêtes mystère",
        "short_name": "Baromètre",
        "lang": "fr",
        "start_url": url_for("investigator.missions"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#000091",
        "icons": [
            {
                "src": url_for("static", filename=f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in (192, 512)
        ],
    }
    response = current_app.json.response(document)
    response.mimetype = "application/manifest+json"
    return response
