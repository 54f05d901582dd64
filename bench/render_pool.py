"""Benchmark: PDF render time and worker memory for a report-like document, warm workers.

What it does: builds a three-page A4 document like a touchpoint report (title, summary
figures, an inline SVG bar chart, a 6-column table of shop results), starts a Renderer,
waits until its workers are warm, then renders the document --runs times one after
another, and prints the median and p90 render time (as the caller waits for it, and as
spent inside the worker), the PDF's page count and size, and the worker's peak RSS.
It also times a cached repeat (PdfCache.get of the same fingerprint).

Usage:  .venv/bin/python -m bench.render_pool [--runs 20] [--rows 60] [--workers 1]
(as a module: run as a script, bench/reports.py would shadow the reports package)
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from datetime import date, timedelta
from html import escape
from pathlib import Path

from pypdf import PdfReader

from app.pdf import Renderer
from reports.pdf.cache import PdfCache, fingerprint

CSS = """
@page { size: A4; margin: 18mm 15mm; @bottom-right { content: "Page " counter(page) } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #222 }
h1 { font-size: 18pt; margin: 0 0 4mm } h2 { font-size: 12pt; margin: 6mm 0 2mm }
.figures { display: flex; gap: 6mm } .figure { border: 1px solid #ccc; padding: 3mm }
table { width: 100%; border-collapse: collapse; table-layout: fixed } th, td { padding: 1.2mm 2mm;
  border-bottom: 0.5pt solid #ddd; text-align: left } thead { display: table-header-group }
td.n { text-align: right } tr { break-inside: avoid }
"""


def chart_svg(values: list[float]) -> str:
    width, height, bar = 520, 160, 520 / len(values)
    bars = "".join(
        f'<rect x="{i * bar + 2:.1f}" y="{height - v * 1.4:.1f}" width="{bar - 4:.1f}" '
        f'height="{v * 1.4:.1f}" fill="#3a6ea5"/>'
        f'<text x="{i * bar + bar / 2:.1f}" y="{height + 12}" font-size="8" '
        f'text-anchor="middle">W{i + 1}</text>'
        for i, v in enumerate(values)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 16}" '
        f'viewBox="0 0 {width} {height + 16}">{bars}'
        f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#333"/></svg>'
    )


def report_html(rows: int) -> str:
    start = date(2026, 1, 5)
    body = "".join(
        f"<tr><td>{start + timedelta(days=i)}</td><td>{escape(f'Store {i % 17 + 1}')}</td>"
        f"<td>{escape(f'Shopper visit #{i + 1} — greeting and wait time')}</td>"
        f"<td class=n>{60 + (i * 7) % 40}%</td><td class=n>{(i * 3) % 5 + 1}</td>"
        f"<td>{'Pass' if (i * 7) % 40 > 15 else 'Fail'}</td></tr>"
        for i in range(rows)
    )
    values: list[float] = [55 + (i * 13) % 45 for i in range(12)]
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>{CSS}</style></head>
<body><h1>Touchpoint report: Greeting at the door</h1>
<p>Approved shops from 5 January to 31 March 2026, all locations.</p>
<div class="figures"><div class="figure"><b>78%</b><br>average score</div>
<div class="figure"><b>{rows}</b><br>shops</div><div class="figure"><b>12</b><br>weeks</div></div>
<h2>Score by week</h2>{chart_svg(values)}
<h2>Shops</h2><table><colgroup><col style="width:14%"><col style="width:12%">
<col style="width:44%"><col style="width:10%"><col style="width:9%"><col style="width:11%">
</colgroup><thead><tr><th>Date</th><th>Location</th><th>Shop</th><th>Score</th>
<th>Rating</th><th>Result</th></tr></thead><tbody>{body}</tbody></table></body></html>"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rows", type=int, default=60, help="table rows (60 is 3 pages)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    html = report_html(args.rows)
    renderer = Renderer(workers=args.workers, time_limit=60)
    try:
        renderer.render("<p>warm</p>")  # returns once a worker has warmed up
        waited, inside, peak, pdf = [], [], 0.0, b""
        for _ in range(args.runs):
            t0 = time.perf_counter()
            result = renderer.render(html)
            waited.append(time.perf_counter() - t0)
            inside.append(result.seconds)
            peak = max(peak, result.peak_rss_mb)
            pdf = result.pdf
    finally:
        renderer.close()

    # The same document in this process, timed by CPU: wall times above stretch when the
    # machine is busy, CPU time much less so; on an idle machine the two agree.
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    HTML(string=html).write_pdf(font_config=fonts)
    cpu = []
    for _ in range(min(args.runs, 5)):
        c0 = time.process_time()
        HTML(string=html).write_pdf(font_config=fonts)
        cpu.append(time.process_time() - c0)

    with tempfile.TemporaryDirectory() as folder:
        cache = PdfCache(Path(folder), max_files=500)
        key = fingerprint("touchpoint", {"id": 1, "from": date(2026, 1, 5)}, "v1", 42)
        cache.put(key, pdf)
        hits = []
        for _ in range(50):
            t0 = time.perf_counter()
            assert cache.get(
                fingerprint("touchpoint", {"id": 1, "from": date(2026, 1, 5)}, "v1", 42)
            )
            hits.append(time.perf_counter() - t0)

    def ms(values: list[float], q: float) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f} ms"

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"document: {args.rows} table rows, {pages} pages, PDF {len(pdf) / 1024:.0f} KiB")
    print(
        f"render, as the caller waits: median {statistics.median(waited) * 1000:.0f} ms, "
        f"p90 {ms(waited, 0.9)}  ({args.runs} runs)"
    )
    print(
        f"render, inside the worker:   median {statistics.median(inside) * 1000:.0f} ms, "
        f"p90 {ms(inside, 0.9)}"
    )
    print(f"render CPU time (in-process):  median {statistics.median(cpu) * 1000:.0f} ms")
    print(f"worker peak RSS: {peak:.0f} MB")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"cached repeat (fingerprint + PdfCache.get): median "
        f"{statistics.median(hits) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
