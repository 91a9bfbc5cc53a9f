"""The PDF renderer: only the app's own static files are ever read."""

from __future__ import annotations

import io

import pypdf
import pytest

from procure import pdf

from .network import loopback_trap


@pytest.fixture
def fetcher(app):
    return pdf.StaticOnlyFetcher(app.static_folder)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/style.css",
        "https://example.com/logo.png",
        "data:image/png;base64,iVBORw0KGgo=",
        pdf.BASE_URL + "../procure/config.py",
        pdf.BASE_URL + "..%2F..%2Fprocure%2Fconfig.py",
        pdf.BASE_URL + "js/app.js",
    ],
)
def test_fetcher_refuses_everything_but_static_files(fetcher, url):
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch(url)


def test_fetcher_serves_the_stylesheet(fetcher):
    response = fetcher.fetch(pdf.BASE_URL + pdf.STYLESHEET)
    assert response.read().startswith(b"/*")
    assert response.content_type == "text/css"


def test_hostile_markup_neither_fetches_nor_embeds(app):
    """A listening socket on loopback proves nothing reaches out while rendering."""
    with loopback_trap(timeout=0.3) as (port, hits):
        html = (
            f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{port}/x.css"></head>'
            f'<body><p>Hello</p><img src="file:///etc/passwd">'
            f'<img src="http://127.0.0.1:{port}/pixel.png"></body></html>'
        )
        with app.test_request_context():
            data = pdf.html_to_pdf(html)
    assert hits == []
    assert data.startswith(b"%PDF")
    assert b"root:x:0:0" not in data
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Hello" in text
