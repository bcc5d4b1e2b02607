"""ops/prometheus/alerts.yml: it parses, names only metrics the code registers, and fires as intended (promtool)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from prometheus_client import REGISTRY

import services.metrics  # noqa: F401 - registers the assistant's metrics
from services.settings import PROJECT_ROOT

RULES_DIR = PROJECT_ROOT / "ops" / "prometheus"
ALERTS = RULES_DIR / "alerts.yml"
SAMPLE_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",), "summary": ("_count", "_sum")}
PROMQL_WORDS = {"and", "or", "unless", "offset", "bool", "on", "ignoring", "group_left", "group_right", "by", "without", "inf", "nan"}


def rules() -> list[dict]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def registered_sample_names() -> set[str]:
    """Names a scrape of the assistant's /metrics can contain (counter ``_total``, histogram ``_bucket``...)."""
    return {family.name + suffix for family in REGISTRY.collect() if family.name.startswith("assistant_")
            for suffix in SAMPLE_SUFFIXES[family.type]}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (strings, label matchers, ranges, groupings and functions removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\boffset\s+\w+", " ", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        followed_by = expr[match.end():].lstrip()[:1]
        if match.group().lower() not in PROMQL_WORDS and followed_by != "(":
            names.add(match.group())
    return names


def test_metric_name_extraction_finds_selectors_and_skips_functions() -> None:
    assert metric_names('histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="b c"}[5m]))) > 2 * b_total offset 1h') == {
        "a_bucket", "b_total"}


def test_every_alert_is_complete() -> None:
    alerts = rules()
    assert {r["alert"] for r in alerts} >= {"AssistantHighErrorRate", "AssistantSlowReplies", "AssistantNegativeEmotionSurge"}
    for rule in alerts:
        assert rule["expr"].strip() and rule["for"], rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_expressions_reference_only_metrics_the_services_register() -> None:
    known = registered_sample_names()
    assert {"assistant_http_requests_total", "assistant_http_request_duration_seconds_bucket",
            "assistant_emotions_total", "assistant_user_messages_total", "assistant_escalations_total"} <= known
    used: set[str] = set()
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names, f"{rule['alert']} selects no metric"
        assert names <= known, f"{rule['alert']} uses unknown metrics {sorted(names - known)}; known: {sorted(known)}"
        used |= names
    assert {"assistant_http_requests_total", "assistant_http_request_duration_seconds_bucket",
            "assistant_emotions_total", "assistant_user_messages_total"} <= used


def test_emotion_labels_in_rules_are_real_labels() -> None:
    from components.emotion.labels import NEGATIVE

    surge = next(r for r in rules() if r["alert"] == "AssistantNegativeEmotionSurge")
    selected = set().union(*(m.split("|") for m in re.findall(r'label=~"([^"]+)"', surge["expr"])))
    assert selected == set(NEGATIVE)


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (make promtool)", pytrace=False)
    return path


def test_promtool_accepts_the_rules_and_the_scrape_config() -> None:
    for command in (["check", "rules", str(ALERTS)], ["check", "config", str(RULES_DIR / "prometheus.yml")]):
        result = subprocess.run([promtool(), *command], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_fire_and_stay_silent_as_intended() -> None:
    result = subprocess.run([promtool(), "test", "rules", "alerts_test.yml"], cwd=RULES_DIR, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
