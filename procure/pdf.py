"""PDF documents: Jinja templates under ``templates/pdf/`` and one print stylesheet,
rendered by WeasyPrint through a fetcher that reads only the app's own files under
``static/`` — no network, no other file, no ``data:`` URL.

Everything a user typed reaches the PDF through autoescaped templates: markup is
text, and an ``<img src="file:///etc/passwd">`` typed into a description is printed,
not fetched.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
from pathlib import Path

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# A base URL no network can answer (.invalid is reserved): relative links in the
# templates resolve under it, and the fetcher maps it onto static/.
BASE_URL = "https://procure.invalid/static/"
ALLOWED_SUFFIXES = {".css", ".png", ".svg", ".jpg", ".jpeg"}
STYLESHEET = "css/pdf.css"

log = logging.getLogger("procure.pdf")


class RefusedURL(ValueError):
    """A URL the PDF may not load; WeasyPrint skips the resource."""


class StaticOnlyFetcher(URLFetcher):
    """Serves ``BASE_URL`` + path from the static folder, and nothing else."""

    def __init__(self, static_root: str | Path) -> None:
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False)
        self.root = Path(static_root).resolve()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if not url.startswith(BASE_URL):
            log.warning("PDF refused to load %s", url[:200])
            raise RefusedURL(f"PDFs load only the app's own files, not {url[:100]}")
        relative = url[len(BASE_URL) :].split("?", 1)[0].split("#", 1)[0]
        path = (self.root / relative).resolve()
        if (
            not path.is_relative_to(self.root)
            or path.suffix.lower() not in ALLOWED_SUFFIXES
            or not path.is_file()
        ):
            log.warning("PDF refused to load %s", url[:200])
            raise RefusedURL(f"no such static file: {relative[:100]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


@functools.lru_cache(maxsize=4)
def _stylesheet(static_root: str) -> CSS:
    """The print stylesheet, parsed once per process."""
    fetcher = StaticOnlyFetcher(static_root)
    return CSS(url=BASE_URL + STYLESHEET, url_fetcher=fetcher)


def render_html(template: str, **context: object) -> str:
    return render_template(f"pdf/{template}", **context)


def html_to_pdf(html: str) -> bytes:
    static_root = current_app.static_folder or ""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher(static_root))
    return document.write_pdf(stylesheets=[_stylesheet(static_root)])


def render_pdf(template: str, **context: object) -> bytes:
    """Render ``templates/pdf/<template>`` with ``context`` to PDF bytes."""
    return html_to_pdf(render_html(template, **context))
