"""Our embedded default against Rasa's starter bot, in the same run: msg/s, p50/p95 and the ratio.

    python bench/throughput.py [--concurrency 20] [--messages 400] [--profile]

1. Rasa's starter bot: ``rasa init --no-prompt`` into a temporary folder (it trains there), served
   with ``rasa run``; its conversations are the starter stories' messages.
2. Our assistant as ``make run`` serves it: ``python -m services.rasa_launcher run`` with
   ``models/assistant.tar.gz`` and the embedded ``endpoints.yml`` (Sanic workers sharing SQLite
   tracker and lock stores, the SQL event broker; its files in the run's temporary directory), the
   action server on a seeded SQLite store; realistic conversations (``bench/conversation_scripts.py``).
Each is loaded alone over REST by ``--concurrency`` conversations at once (after a warm-up), and at
one conversation at a time. ``--profile`` adds where our message's time goes (in-process: each
graph component, the action server round trips, the tracker store).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import numpy as np

from bench.conversation_scripts import build_conversation, load_pools
from ops.processes import embedded_endpoints, free_port, stop_processes, wait_until
from services.settings import PROJECT_ROOT

RASA = str(Path(sys.executable).with_name("rasa"))
MODEL = PROJECT_ROOT / "models" / "assistant.tar.gz"
STARTER_TURNS = ("hi", "I am feeling very sad", "yes", "great, thanks", "are you a bot?", "hello there", "not really",
                 "I am amazing", "bye", "good morning")
TOKEN = uuid.uuid4().hex


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", **extra}


@contextmanager
def serving(argvs: list[list[str]], health: list[str], cwd: Path, env: dict[str, str], logdir: Path) -> Iterator[None]:
    processes: list[subprocess.Popen] = []
    try:
        for i, argv in enumerate(argvs):
            log = logdir / f"server-{i}.log"
            processes.append(subprocess.Popen(argv, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT))
        for process, url, i in zip(processes, health, range(len(health))):
            wait_until(url, process, logdir / f"server-{i}.log", timeout_s=900)
        yield
    finally:
        stop_processes(processes)


@dataclass(frozen=True)
class Measured:
    messages: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def msg_per_s(self) -> float:
        return self.messages / self.seconds


Script = Callable[[int], list[dict]]  # conversation number -> REST bodies


async def drive(url: str, script: Script, concurrency: int, messages: int) -> Measured:
    """``concurrency`` conversations at once, each sending its turns back to back, ``messages`` in all."""
    latencies: list[float] = []
    counter = iter(range(10**9))
    remaining = [messages]

    async def worker(session: aiohttp.ClientSession) -> None:
        while remaining[0] > 0:
            for body in script(next(counter)):
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
                started = time.perf_counter()
                async with session.post(f"{url}/webhooks/rest/webhook", json=body) as response:
                    response.raise_for_status()
                    await response.json()
                latencies.append(time.perf_counter() - started)

    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        took = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return Measured(len(latencies), took, float(np.percentile(ms, 50)), float(np.percentile(ms, 95)))


def measure(url: str, script: Script, concurrency: int, messages: int) -> tuple[Measured, Measured]:
    asyncio.run(drive(url, script, min(concurrency, 5), 30))  # warm-up (first-call graph and caches)
    loaded = asyncio.run(drive(url, script, concurrency, messages))
    single = asyncio.run(drive(url, script, 1, max(30, messages // 10)))
    return loaded, single


def starter_script(run: str) -> Script:
    def script(n: int) -> list[dict]:
        rng = random.Random(n)
        return [{"sender": f"starter-{run}-{n}", "message": rng.choice(STARTER_TURNS)} for _ in range(10)]
    return script


def ours_script(run: str, store_url: str, secret: str) -> Script:
    pools = load_pools(store_url)

    def script(n: int) -> list[dict]:
        conversation = build_conversation(f"tp-{run}-{n}", pools, secret, 10)
        return [conversation.body(i) for i in range(len(conversation.turns))]
    return script


def bench_starter(workdir: Path, concurrency: int, messages: int) -> tuple[Measured, Measured]:
    bot = workdir / "starter"
    bot.mkdir()
    print("training Rasa's starter bot (rasa init --no-prompt) ...", flush=True)
    started = time.monotonic()
    subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(bot)], cwd=bot, env=_env(), check=True,
                   stdout=(workdir / "starter-init.log").open("w"), stderr=subprocess.STDOUT)
    print(f"  trained in {time.monotonic() - started:.0f} s", flush=True)
    port = free_port()
    argv = [RASA, "run", "--model", str(bot / "models"), "--port", str(port), "--enable-api", "--auth-token", TOKEN]
    with serving([argv], [f"http://127.0.0.1:{port}/status?token={TOKEN}"], bot, _env(), workdir):
        return measure(f"http://127.0.0.1:{port}", starter_script(uuid.uuid4().hex[:6]), concurrency, messages)


def bench_ours(workdir: Path, concurrency: int, messages: int) -> tuple[Measured, Measured]:
    from services.store.seed.run import seed_database

    store = f"sqlite:///{workdir / 'store.db'}"
    seed_database(store, progress=False)
    secret, action_token = uuid.uuid4().hex, uuid.uuid4().hex
    env = _env(STORE_DATABASE_URL=store, IDENTITY_SECRET=secret, ACTION_SERVER_TOKEN=action_token, RASA_AUTH_TOKEN=TOKEN)
    actions_port, port = free_port(), free_port()
    endpoints = embedded_endpoints(workdir, actions_port)
    argvs = [[sys.executable, "-m", "services.action_server", "--port", str(actions_port)],
             [sys.executable, "-m", "services.rasa_launcher", "run", "--model", str(MODEL), "--port", str(port), "--enable-api", "--auth-token", TOKEN,
              "--endpoints", str(endpoints), "--credentials", str(PROJECT_ROOT / "credentials.yml")]]
    health = [f"http://127.0.0.1:{actions_port}/health", f"http://127.0.0.1:{port}/status?token={TOKEN}"]
    with serving(argvs, health, PROJECT_ROOT, env, workdir):
        return measure(f"http://127.0.0.1:{port}", ours_script(uuid.uuid4().hex[:6], store, secret), concurrency, messages)


def row(name: str, loaded: Measured, single: Measured) -> str:
    return (f"| {name} | {loaded.msg_per_s:.1f} | {loaded.p50_ms:.0f} | {loaded.p95_ms:.0f} | {single.p50_ms:.0f} | "
            f"{single.p95_ms:.0f} | {loaded.messages} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=20, help="conversations at once")
    parser.add_argument("--messages", type=int, default=400, help="messages measured under load, per bot")
    parser.add_argument("--profile", action="store_true", help="also break one message's time down (bench/message_profile.py)")
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit(f"{MODEL} is missing: run `make train` first")
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        workdir = Path(tmp)
        (workdir / "ours").mkdir()
        starter = bench_starter(workdir, args.concurrency, args.messages)
        ours = bench_ours(workdir / "ours", args.concurrency, args.messages)
    print(f"\nREST, {args.concurrency} concurrent conversations ({args.messages} messages) and one at a time:")
    print("| bot | msg/s | p50 ms | p95 ms | p50 ms alone | p95 ms alone | messages |")
    print("|---|---|---|---|---|---|---|")
    print(row("Rasa starter bot (rasa init)", *starter))
    print(row("ours, embedded default (make run)", *ours))
    ratio = ours[0].msg_per_s / starter[0].msg_per_s
    print(f"\nratio (ours / starter): {ratio:.2f}x msg/s; p95 {ours[0].p95_ms:.0f} ms vs {starter[0].p95_ms:.0f} ms "
          f"(target: >= 1.0x and p95 <= 500 ms)")
    if args.profile:
        from bench.message_profile import main as profile_main

        profile_main([])


if __name__ == "__main__":
    main()
