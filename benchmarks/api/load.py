"""The load: the same number of GET requests to each list through the API and through its bare twin, from a few
keep-alive-free client threads (gunicorn's sync workers close every connection), in alternating rounds so both
doors see the same machine load; p50/p99 latency of every request and requests per second of each door."""

from __future__ import annotations

import http.client
import json
from base64 import b64encode
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter
from typing import Any
from urllib import parse

PAGES = 20
ROUNDS = 4

#: (name, the world's count of its rows, API path, bare path); ``{page}`` is a page number, ``{size}`` the page
#: size, ``{cursor}``/``{position}`` a place in the feed.
LISTS = (
    ("products by risk tier", "products", "/api/v1/products/?ordering=-risk&page_size={size}&page={page}",
     "/bare/products/?page_size={size}&page={page}"),
    ("usages with ratings", "usages", "/api/v1/model-usages/?page_size={size}&page={page}",
     "/bare/model-usages/?page_size={size}&page={page}"),
    ("findings", "findings", "/api/v1/findings/?page_size={size}&page={page}",
     "/bare/findings/?page_size={size}&page={page}"),
    ("change feed", "changes", "/api/v1/changes/?page_size={size}&cursor={cursor}",
     "/bare/changes/?page_size={size}&p={position}"),
)  # fmt: skip


def _feed_places() -> list[dict[str, str]]:
    """Places spread over the feed: a position and the API cursor that stands there."""
    from vendors.models import ChangeEvent
    from vendors.selectors import changes_after, feed_position

    events = list(changes_after(ChangeEvent.objects.all(), None)[:: max(1, ChangeEvent.objects.count() // PAGES)])
    places = []
    for event in events[:PAGES]:
        position = ".".join(str(v) for v in feed_position(event))
        cursor = b64encode(parse.urlencode({"p": position}).encode()).decode()
        places.append({"position": position, "cursor": parse.quote(cursor)})
    return places


def _paths(template: str, places: list[dict[str, str]], rows: int, size: int) -> list[str]:
    if "{page}" in template:
        pages = min(PAGES, max(1, -(-rows // size)))
        return [template.format(page=page, size=size) for page in range(1, pages + 1)]
    return [template.format(size=size, **place) for place in places]


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, float, bytes]:
    started = perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, perf_counter() - started, body
    finally:
        connection.close()


def _batch(port: int, paths: list[str], headers: dict[str, str], clients: int) -> tuple[list, float]:
    started = perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda path: _get(port, path, headers), paths))
    return results, perf_counter() - started


def _rows(answer: tuple[int, float, bytes], path: str) -> list[dict]:
    status, _latency, body = answer
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:500].decode(errors='replace')}")
    return json.loads(body)["results"]


def _figures(latencies: list[float], wall: float, errors: int) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    return {"requests": len(ordered), "p50_ms": pick(0.50), "p99_ms": pick(0.99),
            "rps": len(ordered) / wall if wall else 0.0, "errors": errors}  # fmt: skip


def measure(
    base_url: str, *, key: str, world: dict, requests: int, clients: int, size: int = 50, log=lambda message: None
) -> list[dict]:
    port = int(parse.urlsplit(base_url).port)
    doors = {"api": {"Authorization": f"Bearer {key}"}, "bare": {}}
    places = _feed_places()
    results = []
    for name, counted, api_template, bare_template in LISTS:
        paths = {door: _paths(t, places, world[counted], size) for door, t in (("api", api_template),
                                                                               ("bare", bare_template))}  # fmt: skip
        same = all(  # the same rows with the same fields and values, in the same order
            _rows(_get(port, paths["api"][i], doors["api"]), paths["api"][i])
            == _rows(_get(port, paths["bare"][i], doors["bare"]), paths["bare"][i])
            for i in range(min(2, len(paths["api"])))
        )
        for door in doors:  # warm both workers
            _batch(port, paths[door][: 2 * clients], doors[door], clients)
        latencies: dict[str, list[float]] = {"api": [], "bare": []}
        walls, errors = dict.fromkeys(doors, 0.0), dict.fromkeys(doors, 0)
        per_round = max(1, requests // ROUNDS)
        for _ in range(ROUNDS):
            for door in ("bare", "api"):
                batch = [paths[door][i % len(paths[door])] for i in range(per_round)]
                answers, wall = _batch(port, batch, doors[door], clients)
                walls[door] += wall
                latencies[door] += [latency for _, latency, _ in answers]
                errors[door] += sum(status != 200 for status, _, _ in answers)
        row = {"name": name, "same_rows": same, **{d: _figures(latencies[d], walls[d], errors[d]) for d in doors}}
        log(f"api: {name}: API {row['api']['rps']:.1f} req/s, bare {row['bare']['rps']:.1f} req/s")
        results.append(row)
    return results
