"""Reads one pip-audit or npm audit JSON report (scripts/audit_deps.sh) and says what it found.

Exit status: 0 nothing known, 1 vulnerabilities (at or above the level for
npm), 3 the advisory database could not be reached for some or all packages:
the report then proves nothing, and says so instead of passing as clean.

    audit_report.py pip REPORT.json
    audit_report.py npm REPORT.json LEVEL NAME
"""

import json
import sys
from pathlib import Path
from typing import Any

CLEAN, VULNERABLE, UNREACHABLE = 0, 1, 3
NPM_LEVELS = ["info", "low", "moderate", "high", "critical"]


def pip_report(report: dict[str, Any]) -> int:
    deps = report.get("dependencies", [])
    skipped = [dep for dep in deps if "skip_reason" in dep]
    found = [(dep, vuln) for dep in deps for vuln in dep.get("vulns", [])]
    for dep, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
        print(f"::error::pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
    if skipped:
        print(
            f"::warning::pip-audit: the advisory database could not be reached for {len(skipped)} of {len(deps)} "
            f"packages in requirements.lock; they were NOT audited (first: {skipped[0]['skip_reason']})"
        )
    if found:
        return VULNERABLE
    if skipped:
        return UNREACHABLE
    print(f"pip-audit: {len(deps)} packages audited, no known vulnerability")
    return CLEAN


def npm_report(report: dict[str, Any], level: str, name: str) -> int:
    if "auditReportVersion" not in report:
        # npm's JSON for a failed request: the endpoint's status and message.
        reason = report.get("message") or report.get("error", {}).get("summary") or "no audit report"
        print(f"::warning::npm audit ({name}): the advisory database could not be reached; NOT audited ({reason})")
        return UNREACHABLE
    threshold = NPM_LEVELS.index(level)
    found = {
        package: entry["severity"]
        for package, entry in report.get("vulnerabilities", {}).items()
        if NPM_LEVELS.index(entry["severity"]) >= threshold
    }
    for package, severity in sorted(found.items()):
        print(f"::error::npm audit ({name}): {package}: {severity}")
    if found:
        return VULNERABLE
    total = report.get("metadata", {}).get("dependencies", {}).get("total", "?")
    print(f"npm audit ({name}): {total} packages audited, nothing at or above {level}")
    return CLEAN


def main(argv: list[str]) -> int:
    kind, path = argv[1], Path(argv[2])
    try:
        report = json.loads(path.read_text()) if path.is_file() and path.stat().st_size else {}
    except ValueError:
        report = {}
    if kind == "pip":
        if "dependencies" not in report:
            print("::warning::pip-audit: no report (the advisory database or PyPI could not be reached); NOT audited")
            return UNREACHABLE
        return pip_report(report)
    return npm_report(report, argv[3], argv[4])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
