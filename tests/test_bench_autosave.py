"""The autosave bench's own parts, quickly: its arguments, the lines it gives wrk, and the
floor server it measures Touchstone against; and, marked slow, the whole bench run as small
as it goes (its figures themselves are for docs/performance.md, not for a test to judge)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.autosave import ROOT, Shopper, items_file, parse_args
from bench.autosave_floor import floor_setup, make_app


def test_the_arguments_default_to_three_closed_loop_runs_and_refuse_nonsense() -> None:
    args = parse_args([])
    assert (args.runs, args.rate, args.workers) == ([10, 50, 100], 0, 1)
    assert parse_args(["-n", "50", "--rate", "300"]).runs == [50]
    for wrong in (["-n", "0"], ["--rate", "-1"], ["--seconds", "0"], ["--workers", "0"]):
        with pytest.raises(SystemExit):
            parse_args(wrong)


def test_neighbouring_lines_are_different_shoppers_answers(tmp_path: Path) -> None:
    shoppers = [
        Shopper(user_id=i, token=f"ts_{i}", shops={2: 10 + i}, questions={2: [(1, True), (2, 4)]})
        for i in range(3)
    ]
    lines = items_file(tmp_path / "items.txt", shoppers, 2).read_text().splitlines()
    fields = [line.split(" ") for line in lines]
    assert [(f[0], f[1], f[2], f[4]) for f in fields] == [
        ("ts_0", "10", "1", "true"),
        ("ts_1", "11", "1", "true"),
        ("ts_0", "10", "2", "4"),
        ("ts_1", "11", "2", "4"),
    ]
    assert len({uuid.UUID(f[3]) for f in fields}) == 4  # an id per answer, as a phone makes


def test_the_floor_checks_the_token_and_upserts_the_answer(tmp_path: Path) -> None:
    database = str(tmp_path / "floor.db")
    floor_setup(database, [("ts_good", 7)])
    answer = uuid.uuid4()
    path = f"/api/v1/shops/3/answers/{answer}"

    async def calls() -> list[tuple[int, Any]]:
        transport = httpx.ASGITransport(app=make_app(database))
        async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
            good = {"Authorization": "Bearer ts_good"}
            body = {"question_id": 5, "value": True}
            replies = [
                await client.put(path, json=body, headers=good),
                await client.put(path, json=body, headers=good),
                await client.put(path, json=body, headers={"Authorization": "Bearer ts_bad"}),
                await client.put(path, content=b"{not json", headers=good),
            ]
        return [(r.status_code, r.json()) for r in replies]

    replies = asyncio.run(calls())
    assert replies[0] == (200, {"id": str(answer), "question_id": 5, "revision": 1})
    assert replies[1] == (200, {"id": str(answer), "question_id": 5, "revision": 2})
    assert [status for status, _ in replies[2:]] == [401, 422]


@pytest.mark.slow  # seeds the demo and starts two servers: about half a minute
def test_the_bench_runs_briefly_and_prints_both_servers_figures() -> None:
    """The whole bench, as small as it goes: wrk against `touchstone serve` and the floor,
    one second each with two shoppers; every save answered 200 (0 errors) on both."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "autosave.py"), "-n", "2", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=600,  # a busy machine
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {}
    for line in done.stdout.splitlines():
        cells = line.split()
        if len(cells) >= 9 and cells[0] == "2" and cells[1] in ("touchstone", "floor"):
            rows[cells[1]] = cells
    assert rows.keys() == {"touchstone", "floor"}, done.stdout
    for server, cells in rows.items():
        saves, errors = int(cells[2]), int(cells[7])
        assert saves > 0 and errors == 0, (server, cells)
        assert cells[8].endswith("ms")  # CPU a save
    assert rows["touchstone"][9].endswith("%")  # the share of the floor
