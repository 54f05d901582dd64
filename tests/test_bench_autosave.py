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


def test_the_arguments_default_to_both_saves_at_three_closed_loop_sizes() -> None:
    args = parse_args([])
    assert args.runs == [(mode, n) for mode in ("api", "page") for n in (10, 50, 100)]
    assert (args.rate, args.workers) == (0, 1)
    assert parse_args(["-n", "50", "--rate", "300"]).runs == [("api", 50), ("page", 50)]
    assert parse_args(["--mode", "page", "-n", "5,7"]).runs == [("page", 5), ("page", 7)]
    wrongs = (
        ["-n", "0"],
        ["-n", "ten"],
        ["--rate", "-1"],
        ["--seconds", "0"],
        ["--workers", "0"],
        ["--mode", "phone"],
        ["--mode", ""],
    )
    for wrong in wrongs:
        with pytest.raises(SystemExit):
            parse_args(wrong)


def _shoppers(run: tuple[str, int]) -> list[Shopper]:
    return [
        Shopper(
            user_id=i,
            token=f"ts_{i}",
            shops={run: 10 + i},
            questions={run: [(1, True), (2, 4)]},
            cookie=f"touchstone=signed{i}",
            csrf=f"csrf{i}",
        )
        for i in range(3)
    ]


def test_neighbouring_lines_are_different_shoppers_answers(tmp_path: Path) -> None:
    shoppers = _shoppers(("api", 2))
    lines = items_file(tmp_path / "items.txt", shoppers, ("api", 2)).read_text().splitlines()
    fields = [line.split(" ") for line in lines]
    assert [(f[0], f[1], f[2], f[4]) for f in fields] == [
        ("ts_0", "10", "1", "true"),
        ("ts_1", "11", "1", "true"),
        ("ts_0", "10", "2", "4"),
        ("ts_1", "11", "2", "4"),
    ]
    assert len({uuid.UUID(f[3]) for f in fields}) == 4  # an id per answer, as a phone makes


def test_page_lines_carry_the_session_cookie_and_its_csrf_token(tmp_path: Path) -> None:
    """The page mode's lines: Touchstone's with the login's cookie and the fill page's CSRF
    token; the floor's with its cookie of the shopper's token (and no CSRF token)."""
    run = ("page", 2)
    shoppers = _shoppers(run)
    page = items_file(tmp_path / "page.txt", shoppers, run).read_text().splitlines()
    floor = items_file(tmp_path / "floor.txt", shoppers, run, floor=True).read_text()
    fields = [line.split(" ") for line in page]
    assert [f[:4] + f[5:] for f in fields] == [
        ["touchstone=signed0", "csrf0", "10", "1", "true"],
        ["touchstone=signed1", "csrf1", "11", "1", "true"],
        ["touchstone=signed0", "csrf0", "10", "2", "4"],
        ["touchstone=signed1", "csrf1", "11", "2", "4"],
    ]
    assert len({uuid.UUID(f[4]) for f in fields}) == 4
    assert [line.split(" ")[:3] for line in floor.splitlines()[:2]] == [
        ["floor=ts_0", "-", "10"],
        ["floor=ts_1", "-", "11"],
    ]


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
                # the page mode's save: the token in the floor's cookie, the id in the body
                await client.post(
                    "/shops/3/answers",
                    json={"id": str(answer), "question_id": 5, "value": False},
                    headers={"Cookie": "floor=ts_good"},
                ),
                await client.post("/shops/3/answers", json=body, headers={"Cookie": "floor=x"}),
            ]
        return [(r.status_code, r.json()) for r in replies]

    replies = asyncio.run(calls())
    assert replies[0] == (200, {"id": str(answer), "question_id": 5, "revision": 1})
    assert replies[1] == (200, {"id": str(answer), "question_id": 5, "revision": 2})
    assert [status for status, _ in replies[2:4]] == [401, 422]
    assert replies[4] == (200, {"id": str(answer), "question_id": 5, "revision": 3})
    assert replies[5][0] == 401


@pytest.mark.slow  # seeds the demo and starts two servers: about half a minute
def test_the_bench_runs_briefly_and_prints_both_servers_figures() -> None:
    """The whole bench, as small as it goes: wrk against `touchstone serve` and the floor,
    one second each with two shoppers, for the API's save and the fill page's (its shoppers
    logged in through the login form); every save answered 200 (0 errors) on both."""
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
        if len(cells) >= 11 and cells[0] == "2" and cells[2] in ("touchstone", "floor"):
            rows[cells[1], cells[2]] = cells
    assert rows.keys() == {
        (mode, server) for mode in ("api", "page") for server in ("touchstone", "floor")
    }, done.stdout
    for key, cells in rows.items():
        saves, errors = int(cells[3]), int(cells[8])
        assert saves > 0 and errors == 0, (key, cells)
        assert cells[9].endswith("ms")  # CPU a save
    for mode in ("api", "page"):
        assert rows[mode, "touchstone"][10].endswith("%")  # the share of the floor
