"""The order-flow table (services/store/order_flows.py) agrees with domain.yml, the NLU data and the rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.conversation import ORDER_REQUESTS
from services.settings import PROJECT_ROOT
from services.store.order_flows import ORDER_FLOWS, OrderFlow, flow_for_pending
from services.store.order_view import RETURN_WINDOW_DAYS

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
FLOWS = list(ORDER_FLOWS.values())
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def data_files() -> list[dict]:
    return [yaml.safe_load(p.read_text()) or {} for p in (PROJECT_ROOT / "data").rglob("*.yml") if "emotion" not in p.parts]


def nlu_examples(intent: str) -> list[str]:
    return [line for doc in data_files() for item in doc.get("nlu", []) if item.get("intent") == intent
            for line in item["examples"].splitlines() if line.strip()]


def rules() -> list[dict]:
    return [rule for doc in data_files() for rule in doc.get("rules", [])]


def placeholders(response: str) -> set[str]:
    return {name for variant in DOMAIN["responses"][response] for name in PLACEHOLDER.findall(variant["text"])}


def responses_of(flow: OrderFlow) -> list[str]:
    return [name for name in (flow.ask_which, flow.none_eligible, flow.confirm, flow.done) if name]


def test_the_table_keys_are_the_intents_and_pending_values_are_unique() -> None:
    assert all(key == flow.intent for key, flow in ORDER_FLOWS.items())
    pending = [flow.pending for flow in FLOWS]
    assert len(set(pending)) == len(pending) and "recommend" not in pending
    assert all(flow_for_pending(flow.pending) is flow for flow in FLOWS) and flow_for_pending("recommend") is None
    assert ORDER_REQUESTS == ("order_status", *ORDER_FLOWS)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.intent)
def test_every_flow_has_its_domain_entries(flow: OrderFlow) -> None:
    assert flow.intent in DOMAIN["intents"]
    assert all(name in DOMAIN["responses"] for name in responses_of(flow)), responses_of(flow)
    assert "orders" in placeholders(flow.ask_which)
    assert placeholders(flow.none_eligible) == set()
    assert placeholders(flow.confirm) <= {"n", "items", "total", "address", "option"}
    assert all(variant.get("buttons") == YES_NO for variant in DOMAIN["responses"][flow.confirm])
    if flow.done:
        assert placeholders(flow.done) <= {"n", "code", "address", "option"}
    if flow.form:
        assert flow.form in DOMAIN["forms"]
    assert (flow.operation is None) == (flow.done is None)  # no operation: the yes hands over to a person


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.intent)
def test_every_flow_has_nlu_examples_and_identity_rules(flow: OrderFlow) -> None:
    assert len(nlu_examples(flow.intent)) >= 25
    starts = {}
    for rule in rules():
        first = rule["steps"][0]
        conditions = {k: v for c in rule.get("condition", []) for s in c.get("slot_was_set", []) for k, v in s.items()}
        if first.get("intent") == flow.intent and conditions.get("escalate") is False:
            starts[conditions.get("identified")] = [s.get("action") for s in rule["steps"][1:3]]
    assert starts.get(True) == ["utter_acknowledge", "action_handle_request"]  # verified: answered
    assert starts.get(False) == ["utter_acknowledge", "verification_form"]  # unknown: verified first
    escalations = [r for r in rules() if r["steps"][-1].get("action") == "action_handoff"
                   and any(s.get("escalate") is True for step in r["steps"] for s in step.get("slot_was_set", []))]
    assert any(flow.intent in [o.get("intent") for o in r["steps"][0].get("or", [r["steps"][0]])] for r in escalations)


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "actions").rglob("*.py")) + sorted((PROJECT_ROOT / "services" / "store").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_the_return_window_is_never_typed_out(path: Path) -> None:
    assert not re.search(rf"\b{RETURN_WINDOW_DAYS} days\b", path.read_text()), "use RETURN_WINDOW_DAYS"


def test_flow_responses_do_not_type_out_the_return_window() -> None:
    for flow in FLOWS:
        for name in responses_of(flow):
            assert all(f"{RETURN_WINDOW_DAYS} days" not in v["text"] for v in DOMAIN["responses"][name]), name
