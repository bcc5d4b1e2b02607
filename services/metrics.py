"""The assistant's Prometheus metrics (prometheus_client) and their text exposition.

Both servers export the same names, told apart by the ``service`` label (``rasa``, ``actions``)
and by Prometheus' ``job``/``instance``. ``ops/prometheus/alerts.yml`` alerts on them.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several Sanic workers per server), every worker writes
its samples there and ``/metrics`` merges them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from components.emotion.labels import LABELS

disable_created_metrics()  # no `_created` series: they double the output and no rule uses them

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LABEL_VALUE_RE = re.compile(r"[a-z0-9_]{1,64}")  # action names and escalation reasons; anything else is "other"

HTTP_REQUESTS = Counter(
    "assistant_http_requests", "HTTP requests answered, by service, method, route template and status code",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "assistant_http_request_duration_seconds", "Time from request to response, by service, method and route template",
    ["service", "method", "route"], buckets=LATENCY_BUCKETS,
)
ACTION_LATENCY = Histogram(
    "assistant_action_duration_seconds", "Time the action server took to run one custom action, by action",
    ["action"], buckets=LATENCY_BUCKETS,
)
USER_MESSAGES = Counter("assistant_user_messages", "User messages the dialogue processed (the base of the emotion mix)")
EMOTIONS = Counter("assistant_emotions", "User messages with a confident emotion reading, by label", ["label"])
ESCALATIONS = Counter("assistant_escalations", "Conversations handed to a person, by reason", ["reason"])

for _label in LABELS:  # every label is a series from the start, so rates and ratios exist at zero
    EMOTIONS.labels(_label)


def label_value(value: object) -> str:
    """``value`` when it is a short snake_case name, else ``other`` (keeps label cardinality bounded)."""
    return value if isinstance(value, str) and _LABEL_VALUE_RE.fullmatch(value) else "other"


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format and its content type (merged across workers in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
