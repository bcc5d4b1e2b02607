"""What ``python -m services.rasa_launcher run`` sets before Rasa starts: workers, threads, the metrics directory, the shared tables."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from ops.processes import embedded_endpoints
from services.rasa_launcher import (
    MAX_WORKERS,
    PER_WORKER_THREADS,
    create_shared_tables,
    default_workers,
    endpoints_file,
    serving_defaults,
    several_workers,
)


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



@pytest.mark.parametrize(("argv", "path"), [(["run", "--endpoints", "e.yml", "-m", "m"], "e.yml"),
                                            (["run", "--endpoints=x/e.yml"], "x/e.yml"), (["run"], "endpoints.yml")])
def test_endpoints_file_is_the_one_rasa_reads(argv: list[str], path: str) -> None:
    assert endpoints_file(argv) == path


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_the_embedded_tracker_and_event_tables_are_created_before_the_workers_exist(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "t")  # endpoints.yml interpolates it
    created = create_shared_tables(str(embedded_endpoints(tmp_path, 5055)))
    assert created == ["services.sqlite_tracker_store.SQLiteTrackerStore", "services.masking_broker.MaskingSQLEventBroker"]
    assert "events" in tables(tmp_path / "trackers.db") and "events" in tables(tmp_path / "events.db")
    assert create_shared_tables(str(embedded_endpoints(tmp_path, 5055))) == created  # again: nothing to do, no error


def test_servers_elsewhere_are_left_to_the_workers(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: 127.0.0.1\n  db: nowhere\n"
                         "event_broker:\n  type: pika\n  url: 127.0.0.1\n")
    assert create_shared_tables(str(endpoints)) == [] and list(tmp_path.iterdir()) == [endpoints]
    assert create_shared_tables(str(tmp_path / "missing.yml")) == []
