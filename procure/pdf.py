"""PDF documents: Jinja templates under ``templates/pdf/`` and one print stylesheet,
rendered by WeasyPrint through a fetcher that reads only the app's own files under
``static/`` — no network, no other file, no ``data:`` URL.

Everything a user typed reaches the PDF through autoescaped templates: markup is
text, and an ``<img src="file:///etc/passwd">`` typed into a description is printed,
not fetched.

Every document is tagged (PDF/UA-1: a screen reader follows its structure, in its
language) and carries its title, author (the buying organisation), subject and
creation date, from the :class:`DocumentInfo` its template is given as ``document``.
Text in any script finds a glyph through the stylesheet's font stack (Noto).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
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
# Tagged, with the metadata PDF/UA asks for: what screen readers need.
PDF_VARIANT = "pdf/ua-1"

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


@dataclasses.dataclass(frozen=True)
class DocumentInfo:
    """What the PDF says about itself (``pdfinfo`` shows it): its templates print
    ``title`` as the HTML title, and ``lang`` as the document's language."""

    title: str
    author: str
    subject: str
    created: dt.datetime
    lang: str = "en"

    def apply(self, metadata) -> None:  # type: ignore[no-untyped-def]
        """Write these fields into WeasyPrint's document metadata."""
        created = self.created
        if created.tzinfo is None:  # stored times are UTC
            created = created.replace(tzinfo=dt.UTC)
        metadata.title = self.title
        metadata.authors = [self.author]
        metadata.description = self.subject
        metadata.created = created.isoformat(timespec="seconds")
        metadata.modified = metadata.created
        metadata.generator = "Procure"
        metadata.lang = self.lang


@functools.lru_cache(maxsize=4)
def _stylesheet(static_root: str) -> CSS:
    """The print stylesheet, parsed once per process."""
    fetcher = StaticOnlyFetcher(static_root)
    return CSS(url=BASE_URL + STYLESHEET, url_fetcher=fetcher)


def render_html(template: str, **context: object) -> str:
    return render_template(f"pdf/{template}", **context)


def html_to_pdf(html: str, info: DocumentInfo | None = None) -> bytes:
    """``html`` as a tagged PDF; ``info`` overrides what its ``<head>`` says."""
    static_root = current_app.static_folder or ""
    html_document = HTML(
        string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher(static_root)
    )
    document = html_document.render(
        stylesheets=[_stylesheet(static_root)], pdf_variant=PDF_VARIANT
    )
    if info is not None:
        info.apply(document.metadata)
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def render_pdf(template: str, *, document: DocumentInfo, **context: object) -> bytes:
    """Render ``templates/pdf/<template>`` with ``context`` (and ``document``, its
    title, author, subject and date) to a tagged PDF."""
    return html_to_pdf(render_html(template, document=document, **context), document)
