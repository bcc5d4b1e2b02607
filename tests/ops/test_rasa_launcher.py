"""What ``python -m services.rasa_launcher run`` sets before Rasa starts: workers, threads, the metrics directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.rasa_launcher import MAX_WORKERS, PER_WORKER_THREADS, default_workers, serving_defaults, several_workers


def test_run_gets_one_worker_more_than_the_cores_with_one_thread_each_and_a_metrics_directory() -> None:
    environ: dict[str, str] = {}
    serving_defaults(["run", "--model", "m.tar.gz"], environ)
    assert environ["SANIC_WORKERS"] == str(min(len(os.sched_getaffinity(0)) + 1, MAX_WORKERS)) == str(default_workers())
    assert all(environ[name] == "1" for name in PER_WORKER_THREADS)
    directory = Path(environ["PROMETHEUS_MULTIPROC_DIR"])
    assert directory.is_dir() and not any(directory.iterdir())


def test_what_the_environment_says_wins() -> None:
    environ = {"SANIC_WORKERS": "2", "EMOTION_NUM_THREADS": "2", "PROMETHEUS_MULTIPROC_DIR": "/srv/metrics"}
    serving_defaults(["run"], environ)
    assert (environ["SANIC_WORKERS"], environ["EMOTION_NUM_THREADS"], environ["PROMETHEUS_MULTIPROC_DIR"]) == ("2", "2", "/srv/metrics")
    assert environ["TF_INTRA_OP_PARALLELISM_THREADS"] == "1"


@pytest.mark.parametrize("argv", [["run"], ["shell"], ["interactive"], ["train"]])
def test_one_worker_is_left_as_rasa_runs_it(argv: list[str]) -> None:
    environ = {"SANIC_WORKERS": "1"} if argv == ["run"] else {}
    serving_defaults(argv, environ)
    assert environ == ({"SANIC_WORKERS": "1"} if argv == ["run"] else {})  # shell and interactive read stdin: one process


@pytest.mark.parametrize(("value", "several"), [("3", True), ("1", False), ("0", False), ("many", False), (None, False)])
def test_several_workers(value: str | None, several: bool) -> None:
    assert several_workers({} if value is None else {"SANIC_WORKERS": value}) is several

