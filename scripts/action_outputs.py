"""The GitHub Action's outputs from migcov's machine-readable result (`build --json`).

Prints `gate-passed=`, `coverage=` and `success-rate=` lines for $GITHUB_OUTPUT. Coverage is
the headline's share of legacy records migrated; it is empty when the report has no such
figure (nothing in scope, or nothing links the legacy tables: `unlinked`), never 0.
"""

import json
import sys


def outputs(result):
    report = result["report"]
    total, migrated = report["total_records"], report["migrated_records"]
    coverage = None
    if result.get("unlinked") is None and total:
        coverage = migrated / total
    rate = report.get("overall_success_rate")
    return {
        "gate-passed": "true" if result["gate"]["passed"] else "false",
        "coverage": "" if coverage is None else f"{coverage:.6f}",
        "success-rate": "" if rate is None else f"{rate:.6f}",
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        for key, value in outputs(json.load(f)).items():
            print(f"{key}={value}")
