"""The GraphQL API's own cost, next to a bare FastAPI endpoint sending the same bytes.

    .venv/bin/python bench/graphql_overhead.py [--customers 10000] [--rounds 5] [--seconds 5]

The API runs under uvicorn on loopback over a demo store (built once under
var/bench/), its page cap raised to 10,000. The bare endpoint, a FastAPI app
under uvicorn too, parses the posted JSON and answers with the very bytes
the API sent for that document: what is left is the framework, the server
and HTTP, the floor any endpoint stands on. Each round measures both alike:

- throughput of `{ me { email } }` sent by a viewer with a Bearer session,
  from `--clients` keep-alive connections for `--seconds` (raw HTTP/1.1,
  so the load costs far less than either server);
- latency of one page of `--customers` customers, `--pages` times in a row.

Prints the medians of the rounds with the ratios API / bare. Targets: the
API's throughput at least half the bare endpoint's; the page in 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from metrics import api_process, build_store, free_port, serving, viewer_token

from saaslens.data.migrate import upgrade

SMALL = "{ me { email } }"
PAGE = """
query ($first: Int!) {
  customers(first: $first) {
    totalCount
    edges { node { id name email country segment attributes createdAt } }
  }
}
"""


def bare_app(payloads: dict[str, bytes]) -> FastAPI:
    """An endpoint that answers each known document with the bytes recorded for it."""
    app = FastAPI(docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/graphql")
    async def graphql(request: Request) -> Response:
        body = await request.json()
        return Response(payloads[body["query"]], media_type="application/json")

    return app


def serve_bare(port: int, recorded: Path) -> None:
    payloads = {query: text.encode() for query, text in json.loads(recorded.read_text()).items()}
    # The event loop `saaslens serve` runs, so both servers stand on the same one.
    uvicorn.run(
        bare_app(payloads), host="127.0.0.1", port=port, log_level="warning", loop="asyncio"
    )


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bytes:
    """One request on a kept-alive connection; the body of its 200 answer."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    if status != b"200":
        raise RuntimeError(f"status {status.decode()}")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return await reader.readexactly(length)


def raw_post(port: int, body: bytes, headers: dict[str, str]) -> bytes:
    lines = ["POST /graphql HTTP/1.1", f"host: 127.0.0.1:{port}"]
    lines += ["content-type: application/json", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def throughput(port: int, request: bytes, clients: int, seconds: float) -> float:
    """Requests answered per second by `clients` connections sending back to back."""
    deadline = time.perf_counter() + seconds

    async def client() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answered = 0
        try:
            while time.perf_counter() < deadline:
                if b'"errors"' in await exchange(reader, writer, request):
                    raise RuntimeError("the small query failed")
                answered += 1
        finally:
            writer.close()
        return answered

    started = time.perf_counter()
    answered = sum(await asyncio.gather(*(client() for _ in range(clients))))
    return answered / (time.perf_counter() - started)


def page_latency(client: httpx.Client, body: dict[str, object], times: int) -> float:
    """The median time of fetching the page, `times` in a row."""
    latencies = []
    for _ in range(times):
        started = time.perf_counter()
        response = client.post("/graphql", json=body)
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
    return statistics.median(latencies)


def record(client: httpx.Client, bodies: list[dict[str, object]], path: Path) -> None:
    """What the API answers to each document, for the bare endpoint to repeat."""
    recorded = {}
    for body in bodies:
        response = client.post("/graphql", json=body)
        if "errors" in response.json():
            raise RuntimeError(response.text)
        recorded[str(body["query"])] = response.text
    path.write_text(json.dumps(recorded))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--pages", type=int, default=5, help="page requests per round")
    parser.add_argument("--bare", nargs=2, metavar=("PORT", "RECORDED"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare:
        serve_bare(int(options.bare[0]), Path(options.bare[1]))
        return

    store = build_store(options.customers)
    url = f"sqlite+aiosqlite:///{store.resolve()}"
    upgrade(url)
    token = asyncio.run(viewer_token(url))
    page_body: dict[str, object] = {"query": PAGE, "variables": {"first": options.customers}}
    cap = {"SAASLENS_MAX_PAGE_SIZE": str(options.customers)}
    small = json.dumps({"query": SMALL}).encode()
    rates: dict[str, list[float]] = {"api": [], "bare": []}
    pages: dict[str, list[float]] = {"api": [], "bare": []}
    with tempfile.TemporaryDirectory() as folder, api_process(store, token, cap) as (api, _):
        recorded = Path(folder) / "recorded.json"
        record(api, [{"query": SMALL}, page_body], recorded)
        port = free_port()
        command = [sys.executable, __file__, "--bare", str(port), str(recorded)]
        with serving(command, dict(os.environ), port, {}) as (bare, _):
            clients = {"api": api, "bare": bare}
            for _ in range(options.rounds):
                for name, client in clients.items():
                    target = client.base_url.port or 80
                    request = raw_post(target, small, {"authorization": f"Bearer {token}"})
                    rates[name].append(
                        asyncio.run(throughput(target, request, options.clients, options.seconds))
                    )
                    pages[name].append(page_latency(client, page_body, options.pages))

    rate = {name: statistics.median(values) for name, values in rates.items()}
    page = {name: statistics.median(values) for name, values in pages.items()}
    print(f"\n{options.rounds} rounds, {options.clients} connections, {options.customers} rows")
    print(f"{'':34}{'api':>10}{'bare':>10}{'api/bare':>10}")
    print(
        f"{'`{ me { email } }` requests/s':34}{rate['api']:>10.0f}{rate['bare']:>10.0f}"
        f"{rate['api'] / rate['bare']:>10.2f}   target >= 0.5"
    )
    print(
        f"{f'page of {options.customers} rows, ms':34}{page['api'] * 1000:>10.0f}"
        f"{page['bare'] * 1000:>10.0f}{page['api'] / page['bare']:>10.2f}   target <= 300 ms"
    )


if __name__ == "__main__":
    main()
