"""Prometheus rules, their promtool unit tests and the Grafana dashboard
shipped in docker/ (the compose profile "monitoring")."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS = Path(__file__).resolve().parent.parent / "docker" / "prometheus"
DASHBOARD = PROMETHEUS.parent / "grafana" / "dashboards" / "hucares.json"
needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool is not installed (.ci/run installs it)"
)


def alert_names() -> set[str]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}


def test_every_alert_has_a_test_that_fires_it() -> None:
    tests = yaml.safe_load((PROMETHEUS / "tests.yml").read_text())["tests"]
    fired = {case["alertname"] for test in tests for case in test.get("alert_rule_test", []) if case.get("exp_alerts")}
    assert alert_names() - fired == set()


@needs_promtool
def test_promtool_checks_and_unit_tests_pass() -> None:
    check = subprocess.run(
        ["promtool", "check", "rules", "alerts.yml", "rules.yml"], cwd=PROMETHEUS, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    test = subprocess.run(["promtool", "test", "rules", "tests.yml"], cwd=PROMETHEUS, capture_output=True, text=True)
    assert test.returncode == 0, test.stdout + test.stderr


def test_dashboard_shows_the_four_golden_signals_from_known_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    rows = {panel["title"] for panel in dashboard["panels"] if panel["type"] == "row"}
    assert rows == {"Latency", "Traffic", "Errors", "Saturation"}
    exprs = " ".join(t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", []))
    recorded = {
        rule["record"]
        for group in yaml.safe_load((PROMETHEUS / "rules.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    for name in re.findall(r"[a-z_]+:[a-z0-9_:]+", exprs):
        assert name in recorded, name
