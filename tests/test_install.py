"""The installable app's files as the server sends them (issue 27): the manifest as
application/manifest+json naming icons that exist at the sizes it says, and the service worker as
JavaScript from the root, so its scope is the whole app without a Service-Worker-Allowed header."""

import json
import struct
from urllib.parse import urljoin

from fastapi.testclient import TestClient


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def test_the_manifest_is_served_as_a_manifest_and_its_icons_exist(client: TestClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    purposes = set()
    for icon in manifest["icons"]:
        image = client.get(urljoin("/manifest.webmanifest", icon["src"]))
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        width, height = _png_size(image.content)
        assert icon["sizes"] == f"{width}x{height}"
        purposes.add((icon["purpose"], icon["sizes"]))
    assert {("any", "192x192"), ("any", "512x512"), ("maskable", "512x512")} <= purposes
    assert [s["url"] for s in manifest["shortcuts"]] == ["/#/add"]


def test_the_page_links_the_manifest_and_a_theme_colour_per_scheme(client: TestClient) -> None:
    page = client.get("/").text
    assert 'rel="manifest"' in page
    assert 'name="theme-color" content="#f4f5f8" media="(prefers-color-scheme: light)"' in page
    assert 'name="theme-color" content="#111318" media="(prefers-color-scheme: dark)"' in page


def test_the_service_worker_is_javascript_from_the_root(client: TestClient) -> None:
    response = client.get("/sw.js?v=0123456789ab")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "service-worker-allowed" not in response.headers  # its own folder, /, is its scope
