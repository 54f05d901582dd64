"""The SVG chart module: well-formed markup, the right marks in the right places, grayscale only,
escaped text, and labels that survive into a WeasyPrint PDF."""

from __future__ import annotations

import io
import logging
import re
import xml.etree.ElementTree as ET

import pytest

from reports.charts import TrendPoint, hbar_chart, line_chart, sparkline

NS = {"s": "http://www.w3.org/2000/svg"}
ALLOWED_PAINT = {"#000", "#444", "#777", "#bbb", "#fff", "none"}

POINTS = [
    TrendPoint("Jan 2026", 72.0, 4),
    TrendPoint("Feb 2026", 75.5, 2),
    TrendPoint("Mar 2026", None, 0),
    TrendPoint("Apr 2026", 81.25, 5),
    TrendPoint("May 2026", 84.0, 6),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iterfind(".//s:text", NS)]


def test_line_chart_is_well_formed_and_accessible() -> None:
    root = parse(line_chart(POINTS, target=80, title="Welcome desk"))
    assert root.get("width") == "560" and root.get("height") == "220"
    assert root.get("viewBox") == "0 0 560 220"
    assert root.get("role") == "img"
    assert root.get("font-family") == "DejaVu Sans, sans-serif"
    title = root.find("s:title", NS)
    desc = root.find("s:desc", NS)
    assert title is not None and title.text == "Welcome desk"
    assert desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_line_chart_one_marker_per_value_and_gaps_split_the_line() -> None:
    root = parse(line_chart(POINTS, target=80, title="t"))
    markers = root.findall(".//s:circle", NS)
    assert len(markers) == 4  # the None period has no marker
    series = root.findall(".//s:polyline[@class='series']", NS)
    # Jan-Feb and Apr-May are separate segments; nothing is drawn through March.
    assert [len(p.get("points", "").split()) for p in series] == [2, 2]
    xs = [float(c.get("cx", "")) for c in markers]
    assert xs == sorted(xs)
    first_x = {p.get("points", "").split()[0].split(",")[0] for p in series}
    assert len(first_x) == 2


def test_line_chart_a_lone_value_between_gaps_gets_a_marker_but_no_line() -> None:
    pts = [TrendPoint("a", None, 0), TrendPoint("b", 50, 4), TrendPoint("c", None, 0)]
    root = parse(line_chart(pts, target=None, title="t"))
    assert len(root.findall(".//s:circle", NS)) == 1
    assert root.findall(".//s:polyline", NS) == []


def test_line_chart_target_line_at_the_right_height() -> None:
    root = parse(line_chart(POINTS, target=80, title="t", height=220))
    (target,) = root.findall(".//s:line[@class='target']", NS)
    assert target.get("stroke-dasharray")
    assert target.get("y1") == target.get("y2")
    # The y gridlines are labelled 0..100; the target sits 4/5 of the way from 0 to 100.
    grid = {
        t.text: float(t.get("y", "")) - 3.5
        for t in root.iterfind(".//s:text", NS)
        if t.text in {"0", "100"}
    }
    expected = grid["0"] + (grid["100"] - grid["0"]) * 0.8
    assert float(target.get("y1", "")) == pytest.approx(expected, abs=0.1)
    assert "target 80" in texts(root)


def test_line_chart_labels() -> None:
    labels = texts(parse(line_chart(POINTS, target=80, title="t")))
    for expected in ["0", "25", "50", "75", "100", "target 80", "n=2", "n=4", "n=0"]:
        assert expected in labels
    for p in POINTS:
        assert p.label in labels
    # Values without long decimals: 81.25 prints as one decimal.
    assert {"72", "75.5", "81.2", "84"} <= set(labels) or {"72", "75.5", "81.3", "84"} <= set(
        labels
    )
    assert not any(re.search(r"\.\d{2,}", label) for label in labels)


def test_line_chart_hollow_markers_for_few_shops_named_in_desc() -> None:
    root = parse(line_chart(POINTS, target=80, title="t"))
    few = root.findall(".//s:circle[@class='point few']", NS)
    full = root.findall(".//s:circle[@class='point']", NS)
    assert len(few) == 1 and len(full) == 3
    assert few[0].get("fill") == "#fff" and few[0].get("stroke") == "#000"
    assert all(c.get("fill") == "#000" for c in full)
    desc = root.find("s:desc", NS)
    assert desc is not None and desc.text is not None
    assert "Feb 2026 (n=2)" in desc.text
    assert "Jan 2026 (n=" not in desc.text


def test_line_chart_thins_crowded_labels_but_keeps_every_marker_and_the_latest_label() -> None:
    pts = [TrendPoint(f"2026-W{w:02d}", 60 + w % 10, 4) for w in range(1, 53)]
    root = parse(line_chart(pts, target=80, title="t"))
    labels = texts(root)
    assert len(root.findall(".//s:circle", NS)) == 52
    shown = [label for label in labels if label.startswith("2026-W")]
    assert 3 < len(shown) < 52
    assert "2026-W52" in shown


def test_line_chart_without_points() -> None:
    root = parse(line_chart([], target=80, title="t"))
    assert "no data" in texts(root)
    assert root.findall(".//s:circle", NS) == []


def test_text_is_escaped() -> None:
    nasty = 'A <b>&</b> "quoted" >'
    svg = line_chart([TrendPoint(nasty, 50, 1)], target=None, title=nasty)
    root = parse(svg)  # would raise if anything leaked through unescaped
    title = root.find("s:title", NS)
    assert title is not None and title.text == nasty
    assert nasty in texts(root)
    assert "<b>" not in svg
    bars = hbar_chart([(nasty, 40, 3)], target=None, title=nasty)
    root = parse(bars)
    assert "<b>" not in bars
    title = root.find("s:title", NS)
    assert title is not None and title.text == nasty


def test_sparkline() -> None:
    svg = sparkline([60, 65, None, 70, 78], target=80)
    root = parse(svg)
    assert root.get("width") == "120" and root.get("height") == "28"
    assert root.get("viewBox") == "0 0 120 28"
    (last,) = root.findall(".//s:circle[@class='last']", NS)
    series = root.findall(".//s:polyline[@class='series']", NS)
    assert len(series) == 2
    # The marker sits on the final point of the last segment.
    final = series[-1].get("points", "").split()[-1]
    assert final == f"{last.get('cx')},{last.get('cy')}"
    assert float(last.get("cx", "")) == pytest.approx(117, abs=0.1)
    (target,) = root.findall(".//s:line[@class='target']", NS)
    assert target.get("stroke-dasharray")
    assert root.findall(".//s:text", NS) == []  # no text but the title
    title = root.find("s:title", NS)
    assert title is not None and title.text == "Trend: 60, 65, no data, 70, 78 (target 80)"


def test_sparkline_marks_last_value_when_the_latest_period_is_empty() -> None:
    root = parse(sparkline([50, 55, None], target=None))
    (last,) = root.findall(".//s:circle", NS)
    assert root.findall(".//s:line", NS) == []
    series = root.findall(".//s:polyline", NS)
    assert series[0].get("points", "").split()[-1] == f"{last.get('cx')},{last.get('cy')}"
    assert parse(sparkline([], target=None)).findall(".//s:circle", NS) == []


def test_hbar_chart_widths_no_data_and_target() -> None:
    rows = [("Leeds", 80.0, 5), ("York", None, 0), ("Hull", 40.0, 2), ("Bath", 100.0, 9)]
    root = parse(hbar_chart(rows, target=75, title="By location"))
    bars = root.findall(".//s:rect", NS)
    assert len(bars) == 3
    widths = [float(b.get("width", "")) for b in bars]
    assert widths[0] / widths[1] == pytest.approx(2, rel=0.01)  # 80 vs 40
    assert widths[2] / widths[1] == pytest.approx(2.5, rel=0.01)  # 100 vs 40
    assert len({b.get("x") for b in bars}) == 1
    # Bars print in black and white: a grey fill with a black outline; few shops dashed.
    assert all(b.get("fill") == "#bbb" and b.get("stroke") == "#000" for b in bars)
    assert [b.get("class") for b in bars] == ["bar", "bar few", "bar"]
    assert bars[1].get("stroke-dasharray")
    labels = texts(root)
    assert [t for t in labels if t in {"Leeds", "York", "Hull", "Bath"}] == [
        "Leeds",
        "York",
        "Hull",
        "Bath",
    ]
    assert "no data" in labels
    assert {"80 n=5", "40 n=2", "100 n=9", "target 75"} <= set(labels)
    (target,) = root.findall(".//s:line[@class='target']", NS)
    x0 = float(bars[0].get("x", ""))
    assert float(target.get("x1", "")) == pytest.approx(x0 + widths[2] / 100 * 75, abs=0.1)
    desc = root.find("s:desc", NS)
    assert desc is not None and desc.text is not None
    assert "York: no data" in desc.text and "dashed outline: Hull" in desc.text
    assert int(root.get("height", "")) > 4 * 22


def test_hbar_truncates_long_labels() -> None:
    root = parse(hbar_chart([("x" * 200, 50, 4)], target=None, title="t"))
    (label,) = root.findall(".//s:text[@class='label']", NS)
    assert label.text is not None and label.text.endswith("…") and len(label.text) < 50


@pytest.mark.parametrize(
    "svg",
    [
        line_chart(POINTS, target=80, title="t"),
        line_chart([], target=None, title="t"),
        sparkline([10, None, 90], target=50),
        hbar_chart([("a", 10, 1), ("b", None, 0)], target=60, title="t"),
    ],
)
def test_only_black_grey_and_white(svg: str) -> None:
    paints = re.findall(r'\b(?:fill|stroke|color|stop-color)\s*[=:]\s*"?([^";]*)', svg)
    assert paints
    assert set(paints) <= ALLOWED_PAINT
    assert " style=" not in svg and "rgb(" not in svg


@pytest.mark.slow  # a real WeasyPrint render
def test_labels_survive_into_the_pdf(caplog: pytest.LogCaptureFixture) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    from pypdf import PdfReader

    chart = line_chart(POINTS, target=80, title="Welcome desk")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<style>@page { size: A4; margin: 15mm } body { font-family: 'DejaVu Sans' }</style>"
        f"</head><body><h1>Trend</h1>{chart}</body></html>"
    )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = weasyprint.HTML(string=page).write_pdf()
    # WeasyPrint reports unsupported SVG or CSS through logging, not warnings.
    assert [r.getMessage() for r in caplog.records] == []
    assert pdf is not None
    # WeasyPrint places SVG glyphs one by one and writes no space glyph, so pypdf reads
    # "target 80" back as "target80": compare with whitespace removed.
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    for expected in ["target80", "n=2", "n=4", "Jan2026", "May2026", "75.5", "100"]:
        assert expected in text


def test_value_label_moves_below_the_point_rather_than_under_the_target_line() -> None:
    root = parse(line_chart(POINTS, target=80, title="t"))
    markers = {c.get("cx"): float(c.get("cy", "")) for c in root.iterfind(".//s:circle", NS)}
    values = {t.text: t for t in root.iterfind(".//s:text[@class='value']", NS)}
    below, above = values["72"], values["84"]  # 72 sits just under the target line at 80
    assert float(below.get("y", "")) > markers[below.get("x")]
    assert float(above.get("y", "")) < markers[above.get("x")]
