"""What the schemathesis run of the API checked, in pytest's closing summary."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    totals = getattr(terminalreporter.config, "api_fuzz_totals", {})
    for role, counts in totals.items():
        terminalreporter.write_line(
            f"schemathesis as {role}: {counts['operations']} operations, "
            f"{counts['cases']} cases checked, {counts['failed']} failed "
            f"({counts['seconds']} s)"
        )
