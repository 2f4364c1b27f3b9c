"""KPI and export jobs; the worker provides the app context (see app.jobs)."""

from __future__ import annotations

import logging

from app.services.reporting import kpi

logger = logging.getLogger(__name__)


def snapshot_kpis(month: str | None = None) -> int:
    """Freeze a period's KPI figures ("YYYY-MM", "YYYY-Qn" or "YYYY"; default:
    the previous month).

    The scheduler runs it early each month; a rerun overwrites the same rows.
    """
    period = (
        kpi.parse_period(month) if month else kpi.Period("month", kpi.previous_month())
    )
    count = kpi.snapshot_period(period)
    logger.info("KPI snapshot %s: %d figures", period.key, count)
    return count


def run_export(task_id: int) -> None:
    """Build an export task's workbook (a rerun after success does nothing)."""
    from app.services.reporting import exports

    exports.run_task(task_id)
