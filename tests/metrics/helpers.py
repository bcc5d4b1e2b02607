"""Reading Prometheus text exposition over HTTP; servers start on a free port as in the e2e suite."""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from ops.processes import free_port, stop_processes, wait_until

__all__ = ["free_port", "scrape", "stop_processes", "value", "wait_until_up", "Samples"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 300) -> None:
    """The e2e suite's start-up wait, with the longer bound a cold ``rasa run`` needs here."""
    wait_until(url, process, log, timeout_s=timeout_s, poll_s=0.5)


def scrape(base_url: str) -> Samples:
    """Every sample of ``GET base_url/metrics``, keyed by (sample name, labels); checks the content type."""
    response = requests.get(f"{base_url}/metrics", timeout=10)
    response.raise_for_status()
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels``; 0.0 when the series does not exist."""
    return samples.get((name, frozenset(labels.items())), 0.0)
