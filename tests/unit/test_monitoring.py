"""docs/monitoring: the alert rules and the Grafana dashboard name only metrics Kurator exports.

With Debian's `prometheus` package installed (`promtool`, .ci/packages.sh) the rules are also
checked and unit-tested by promtool itself; without it the pure checks below still run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ops.metrics import Metrics

DOCS = Path(__file__).resolve().parents[2] / "docs" / "monitoring"
RULES = DOCS / "kurator-rules.yml"
RULE_TESTS = DOCS / "kurator-rules.test.yml"
DASHBOARD = DOCS / "grafana-dashboard.json"
METRIC = re.compile(r"\bkurator_[a-z_]+\b")
DURATION = re.compile(r"^\d+[smhd]$")
EXPORTED = Metrics("check").names()


def _rules() -> list[dict[str, str]]:
    """The rules file's alerts (the file keeps one shape: `- alert:` then its keys)."""
    rules: list[dict[str, str]] = []
    for line in RULES.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("- alert:"):
            rules.append({"alert": stripped.split(":", 1)[1].strip()})
        elif rules and re.match(r"^(expr|for|severity|summary):", stripped):
            key, value = stripped.split(":", 1)
            rules[-1][key] = value.strip()
    return rules


def _balanced(expr: str) -> bool:
    depth = 0
    for char in expr:
        depth += {"(": 1, ")": -1, "[": 1, "]": -1, "{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_alert_rules_name_exported_metrics() -> None:
    rules = _rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names)) >= 5
    # The alerts the issue asks for: overdue reminders, 429s, scheduler, failures by reason.
    exprs = " ".join(r["expr"] for r in rules)
    for needed in (
        "kurator_outbox_oldest_due_seconds",
        'kurator_api_errors_total{code="429"}',
        "kurator_scheduler_last_tick_timestamp_seconds",
        "sum by (reason) (increase(kurator_delivery_failures_total",
    ):
        assert needed in exprs
    for rule in rules:
        used = set(METRIC.findall(rule["expr"]))
        assert used and used <= EXPORTED, (rule["alert"], used - EXPORTED)
        assert _balanced(rule["expr"]), rule["alert"]
        assert rule.get("severity") and rule.get("summary"), rule["alert"]
        assert "for" not in rule or DURATION.match(rule["for"]), rule["alert"]


def test_every_dashboard_panel_queries_an_exported_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [
        p for top in dashboard["panels"] for p in [top, *top.get("panels", [])] if "targets" in p
    ]
    assert len(panels) >= 15
    assert len(panels) == len([p for p in dashboard["panels"] if p["type"] != "row"])
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = set(METRIC.findall(target["expr"]))
            assert used and used <= EXPORTED, (panel["title"], used - EXPORTED)
            assert _balanced(target["expr"]), panel["title"]


def test_every_metric_is_explained_in_operations_md() -> None:
    doc = (DOCS.parent / "operations.md").read_text()
    for family in Metrics("check").registry.collect():
        assert family.name in doc, family.name


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian: prometheus)")
def test_promtool_checks_and_unit_tests_the_rules() -> None:
    for args in (["check", "rules", RULES.name], ["test", "rules", RULE_TESTS.name]):
        done = subprocess.run(
            ["promtool", *args], cwd=DOCS, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
