"""The catalogue's pages: valid HTML5, well-formed SVG, links that resolve, golden pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from conftest import REPO, SITES
from support import assert_golden

GOLDEN = REPO / "tests" / "golden" / "docs"
SVG_NS = "{http://www.w3.org/2000/svg}"


def _parse(page: Path) -> ET.Element:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    tree: ET.Element = parser.parse(page.read_text(encoding="utf-8"))
    return tree


def _pages(site: Path) -> list[Path]:
    return sorted(site.glob("*.html"))


@pytest.mark.parametrize("name", SITES)
def test_every_page_is_valid_html5(sites: dict[str, Path], name: str) -> None:
    pages = _pages(sites[name])
    assert len(pages) > 20
    for page in pages:
        try:
            _parse(page)
        except html5lib.html5parser.ParseError as exc:
            pytest.fail(f"{page.name}: {exc}")


@pytest.mark.parametrize("name", SITES)
def test_every_svg_is_well_formed(sites: dict[str, Path], name: str) -> None:
    files = sorted(sites[name].glob("*.svg"))
    assert len(files) == 8, "one diagram per workflow"
    for file in files:
        root = ET.fromstring(file.read_text(encoding="utf-8"))
        assert root.tag == f"{SVG_NS}svg", file.name
        assert root.find(f"{SVG_NS}title") is not None


def _links(root: ET.Element) -> list[str]:
    found = []
    for element in root.iter():
        tag = str(element.tag).rsplit("}", 1)[-1]
        if tag in ("a", "link") and element.get("href"):
            found.append(str(element.get("href")))
    return found


@pytest.mark.parametrize("name", SITES)
def test_every_internal_link_resolves(sites: dict[str, Path], name: str) -> None:
    site = sites[name]
    ids = {
        page.name: {str(e.get("id")) for e in _parse(page).iter() if e.get("id")}
        for page in _pages(site)
    }
    broken = []
    checked = 0
    for page in _pages(site):
        for href in _links(_parse(page)):
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc, f"{page.name}: external link {href}"
            target = unquote(parts.path) or page.name
            checked += 1
            if not (site / target).is_file():
                broken.append(f"{page.name}: {href} (no file)")
            elif parts.fragment and parts.fragment not in ids.get(target, set()):
                broken.append(f"{page.name}: {href} (no anchor)")
    assert checked > 500
    assert broken == []


@pytest.mark.parametrize("name", SITES)
def test_every_page_links_its_blueprint_source(sites: dict[str, Path], name: str) -> None:
    for page in _pages(sites[name]):
        if page.name.startswith("source-"):
            continue
        hrefs = _links(_parse(page))
        assert any(h.startswith("source-") and "#L" in h for h in hrefs), page.name


@pytest.mark.parametrize(
    ("name", "page"),
    [
        ("municipality", "workflow-3.html"),
        ("municipality", "service-digitale-werkplek.html"),
        ("university", "workflow-3.html"),
        ("university", "service-room-booking.html"),
    ],
)
def test_pages_match_golden(sites: dict[str, Path], name: str, page: str) -> None:
    golden = GOLDEN / name / page
    assert_golden(
        golden,
        (sites[name] / page).read_text(encoding="utf-8"),
        shown=str(golden.relative_to(REPO)),
    )


def test_the_dutch_site_speaks_dutch(sites: dict[str, Path]) -> None:
    root = _parse(sites["municipality"] / "workflow-3.html")
    assert root.get("lang") == "nl"
    text = "".join(root.itertext())
    assert "Stappenvolgorde" in text
    assert "Herstellen" in text
    assert "Step sequence" not in text
