"""The check screen before hand-in reads the visit back, and says plainly what is missing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.audits.test_fill_pages import Fill, fill  # noqa: F401  (fill: a fixture)
from tests.conftest import BASE_URL


def _check_screen(fill: Fill) -> str:  # noqa: F811
    page = fill.client.get(f"/shops/{fill.shop.id}/fill?section=3")
    assert page.status_code == 200
    assert "Check and hand in" in page.text
    return page.text


class _Shown(HTMLParser):
    """The text a person sees: what sits inside a `hidden` element is left out."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # open elements since (and including) the outermost hidden one
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "hr", "img", "input", "meta", "link", "wbr"}:
            return  # void: no end tag follows
        if self.depth or any(name == "hidden" for name, _ in attrs):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def _recap(html: str) -> str:
    """The shown text of the recap card alone."""
    found = re.search(r'<section class="card stack recap".*?</section>', html, re.S)
    assert found, "the check screen has no recap of the visit"
    shown = _Shown()
    shown.feed(found.group(0))
    return " ".join(" ".join(shown.parts).split())


def test_check_screen_recaps_date_time_length_and_remark(fill: Fill) -> None:  # noqa: F811
    headers = {"X-CSRF-Token": fill.client.csrf, "Origin": BASE_URL}
    visit = fill.client.post(
        f"/shops/{fill.shop.id}/visit",
        json={
            "visited_at": "2020-01-02T10:30",
            "duration_minutes": "25",
            "comment": "Friendly, but the queue was long.",
        },
        headers=headers,
    )
    assert visit.status_code == 200, visit.text
    recap = _recap(_check_screen(fill))
    assert "Date Thursday 2 January 2020" in recap
    assert "Time 10:30" in recap
    assert "Length 25 minutes" in recap
    assert "Overall remarks Friendly, but the queue was long." in recap
    assert "No visit" not in recap and "No overall remarks given" not in recap
    assert "Change the date, time or length" in recap


def test_check_screen_says_plainly_what_is_missing_with_a_way_back(fill: Fill) -> None:  # noqa: F811
    html = _check_screen(fill)
    recap = _recap(html)
    assert "Date No visit date given. Add the date" in recap
    assert "Time No visit time given. Add the time" in recap
    assert "Length No visit length given. Add the length" in recap
    assert "Overall remarks No overall remarks given. Write one below" in recap
    visit_screen = f"/shops/{fill.shop.id}/fill?section=0"
    assert f'href="{visit_screen}#visited-at">Add the date</a>' in html
    assert f'href="{visit_screen}#visited-at">Add the time</a>' in html
    assert f'href="{visit_screen}#duration">Add the length</a>' in html
    assert 'href="#overall">Write one below</a>' in html
    # The links land on real fields.
    assert 'id="visited-at"' in fill.client.get(visit_screen).text
    assert 'id="duration"' in fill.client.get(visit_screen).text
    assert 'id="overall"' in html


def test_check_screen_names_only_what_is_missing(fill: Fill) -> None:  # noqa: F811
    headers = {"X-CSRF-Token": fill.client.csrf, "Origin": BASE_URL}
    visit = fill.client.post(
        f"/shops/{fill.shop.id}/visit", json={"duration_minutes": "1"}, headers=headers
    )
    assert visit.status_code == 200, visit.text
    recap = _recap(_check_screen(fill))
    assert "Length 1 minute" in recap and "1 minutes" not in recap
    assert "No visit date given" in recap and "No visit time given" in recap
    assert "No visit length given" not in recap


def test_labelled_scale_options_are_one_per_row(fill: Fill) -> None:  # noqa: F811
    page = fill.client.get(f"/shops/{fill.shop.id}/fill?section=1").text
    group = re.search(r'<div class="choices choices-scale([^"]*)"', page)
    assert group and "scale-labelled" in group.group(1)
    assert '<span class="scale-n">3</span> <span class="scale-label">Polite</span>' in page
