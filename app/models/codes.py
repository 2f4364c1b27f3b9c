"""Stable codes of the domain (API and command names) with their display labels.

Codes are what the database, the API and the commands use; labels are what a
clerk reads. Each list lives here once; CHECK constraints, form choices, API
validators and list formatters are all generated from it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

Codes = dict[str, object]

CASE_KINDS: Codes = {
    "inquiry": _l("Inquiry"),
    "business": _l("Business request"),
    "complaint": _l("Complaint"),
    "aftersales": _l("After-sales service"),
    "suggestion": _l("Suggestion"),
    "incident": _l("Incident"),
}

# SLA policies also cover pickups (the appointment confirmation target).
SLA_KINDS: Codes = {**CASE_KINDS, "pickup": _l("Pickup appointment")}

SEVERITIES: Codes = {
    "normal": _l("Normal"),
    "complex": _l("Needs verification"),
    "routine": _l("Routine"),
    "special": _l("Special"),
    "general": _l("General"),
    "major": _l("Major"),
    "urgent": _l("Urgent"),
}

# Which severities each kind knows; the first one is the default.
KIND_SEVERITIES: dict[str, tuple[str, ...]] = {
    "inquiry": ("normal", "complex"),
    "business": ("routine", "special"),
    "complaint": ("general", "major"),
    "aftersales": ("normal", "urgent"),
    "suggestion": ("normal",),
    "incident": ("urgent",),
    "pickup": ("normal",),
}

CASE_STATUSES: Codes = {
    "new": _l("New"),
    "acknowledged": _l("Acknowledged"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "pending_customer": _l("Waiting for customer"),
    "review": _l("Under review"),
    "feedback": _l("Feedback to customer"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}
CASE_OPEN_STATUSES = tuple(s for s in CASE_STATUSES if s not in ("closed", "cancelled"))

CLOCK_STATES: Codes = {
    "running": _l("Running"),
    "at_risk": _l("At risk"),
    "breached": _l("Breached"),
    "met": _l("Met"),
    "missed": _l("Missed"),
    "paused": _l("Paused"),
    "unknown": _l("Unknown (calendar missing)"),
    "none": _l("No target"),
}

# Bootstrap label style of each clock state (screens and badges).
CLOCK_STYLES = {
    "running": "info",
    "at_risk": "warning",
    "breached": "danger",
    "met": "success",
    "missed": "danger",
    "paused": "default",
    "unknown": "danger",
    "none": "default",
}

SLA_UNITS: Codes = {
    "calendar_hours": _l("Calendar hours"),
    "working_hours": _l("Working hours"),
    "working_days": _l("Working days"),
}

BUSINESS_STAGES: Codes = {
    "consulting": _l("Consulting"),
    "onboarding": _l("Onboarding and qualification"),
    "pickup": _l("Pickup"),
    "weighing": _l("Weighing"),
    "inspection": _l("Inspection"),
    "settlement": _l("Settlement"),
    "delivery": _l("Delivery and logistics"),
    "aftersales": _l("After-sales"),
    "other": _l("Other"),
}

RESPONSIBILITIES: Codes = {
    "company": _l("Company"),
    "customer": _l("Customer"),
    "third_party": _l("Third party"),
    "shared": _l("Shared"),
    "none": _l("No fault"),
}

# What a complaint came down to (投诉原因分类), for the monthly analysis's
# root-cause breakdown (seed 001 §7(一)2 问题原因剖析).
CAUSES: Codes = {
    "staff": _l("Staff conduct"),
    "process": _l("Process or rules"),
    "equipment": _l("Equipment or weighing"),
    "quality": _l("Quality standard"),
    "scheduling": _l("Scheduling and timeliness"),
    "communication": _l("Communication"),
    "customer": _l("On the customer's side"),
    "external": _l("External factors"),
}

# The monthly complaint analysis report (seed 001 §7(一)2).
REPORT_STATUSES: Codes = {
    "draft": _l("Draft"),
    "sent": _l("Sent"),
}

CUSTOMER_STATUSES: Codes = {
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "closed": _l("Closed"),
}

PICKUP_STATUSES: Codes = {
    "requested": _l("Requested"),
    "scheduled": _l("Scheduled"),
    "assessed": _l("Assessed on site"),
    "collected": _l("Collected"),
    "weighed": _l("Weighed"),
    "inspected": _l("Inspected"),
    "settled": _l("Settled"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}
PICKUP_OPEN_STATUSES = tuple(
    s for s in PICKUP_STATUSES if s not in ("closed", "cancelled")
)

# Steps of the pickup workflow, as recorded in the pickup's step log.
PICKUP_STEPS: Codes = {
    "schedule": _l("Schedule and confirm"),
    "reschedule": _l("Reschedule"),
    "depart": _l("Crew on the way"),
    "arrive": _l("Crew arrived"),
    "assess": _l("Assess on site"),
    "collect": _l("Collect"),
    "weigh": _l("Finish weighing"),
    "inspect": _l("Finish inspection"),
    "settle": _l("Settle"),
    "close": _l("Close"),
    "cancel": _l("Cancel"),
    "unsettle": _l("Settlement voided"),
    "notice": _l("Customer notified"),
}

DIFFICULTIES: Codes = {
    "low": _l("Easy"),
    "medium": _l("Medium"),
    "high": _l("Difficult"),
}

INSPECTION_RESULTS: Codes = {
    "pass": _l("Pass"),
    "downgrade": _l("Downgrade"),
    "reject": _l("Reject"),
}

SETTLEMENT_STATUSES: Codes = {
    "draft": _l("Draft"),
    "confirmed": _l("Confirmed"),
    "paid": _l("Paid"),
    "voided": _l("Voided"),
}

SETTLEMENT_DIRECTIONS: Codes = {
    "pay": _l("Payment to supplier"),
    "receive": _l("Receipt from buyer"),
}

PAYMENT_METHODS: Codes = {
    "bank_transfer": _l("Bank transfer"),
    "cash": _l("Cash"),
    "wechat": _l("WeChat Pay"),
    "alipay": _l("Alipay"),
    "acceptance_bill": _l("Bank acceptance bill"),
}

# Invoice of a settlement (seed 003 物流 第十七条: 确认费用后第一时间开具发票).
INVOICE_STATUSES: Codes = {
    "pending": _l("Invoice pending"),
    "invoiced": _l("Invoiced"),
    "not_required": _l("No invoice needed"),
}

# How a payment term counts its days: from the settlement's confirmation, or
# from the end of that month (月结).
TERM_BASES: Codes = {
    "document": _l("From the settlement date"),
    "month_end": _l("From the end of the month"),
}

STATEMENT_STATUSES: Codes = {
    "draft": _l("Prepared"),
    "sent": _l("Sent to customer"),
    "confirmed": _l("Confirmed by customer"),
    "disputed": _l("Disputed by customer"),
}

# What moved a customer's balance on a statement of account (对账单).
LEDGER_ENTRIES: Codes = {
    "sale": _l("Sale settled"),
    "purchase": _l("Purchase settled"),
    "sale_adjustment": _l("Sale adjusted"),
    "purchase_adjustment": _l("Purchase adjusted"),
    "sale_void": _l("Sale settlement voided"),
    "purchase_void": _l("Purchase settlement voided"),
    "receipt": _l("Payment received"),
    "payment": _l("Payment made"),
}

OVERDUE_TASK_STATUSES: Codes = {
    "open": _l("To follow up"),
    "settled": _l("Settled"),
    "closed": _l("Closed"),
}

IMPORT_SHEETS: Codes = {
    "customers": _l("Customers"),
    "contacts": _l("Contacts"),
    "prices": _l("Price list"),
    "calendar": _l("Business calendar"),
}

PRICE_DIRECTIONS: Codes = {
    "purchase": _l("Purchase"),
    "sale": _l("Sale"),
}

MATERIAL_UNITS: Codes = {"kg": _l("kg"), "t": _l("t")}

FOLLOWUP_STATUSES: Codes = {
    "planned": _l("Planned"),
    "done": _l("Done"),
    "unreachable": _l("Unreachable"),
    "overdue": _l("Overdue"),
    "cancelled": _l("Cancelled"),
}

FOLLOWUP_SOURCES: Codes = {
    "case": _l("Case"),
    "pickup": _l("Pickup"),
    "settlement": _l("Settlement"),
    "partner": _l("Partner schedule"),
    "manual": _l("Manual"),
}

# Service-standard changes (seed 000 §2(六)1): proposed by an admin, approved
# by Management, in force from their effective date.
STANDARD_SUBJECTS: Codes = {
    "sla_policy": _l("SLA policy"),
    "kpi_target": _l("KPI target"),
    "followup_rule": _l("Follow-up rule"),
    "setting": _l("Escalation setting"),
}
STANDARD_ACTIONS: Codes = {
    "change": _l("Change"),
    "add": _l("New standard"),
}
STANDARD_CHANGE_STATUSES: Codes = {
    "pending": _l("Awaiting approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "effective": _l("In force"),
}

GRADE_PROPOSAL_STATUSES: Codes = {
    "proposed": _l("Proposed"),
    "accepted": _l("Accepted"),
    "rejected": _l("Not adopted"),
    "superseded": _l("Superseded"),
}

FOLLOWUP_TRIGGERS: Codes = {
    "case_closed": _l("Case closed"),
    "pickup_settled": _l("Pickup settled"),
    "partner_periodic": _l("Periodic partner visit"),
}

VISIT_PERIODS: Codes = {
    "year": _l("Yearly"),
    "quarter": _l("Quarterly"),
    "month": _l("Monthly"),
}

# A key-account visit (巡访) still to make; a follow-up visit's "planned" is a
# call-back (回访) to make.
VISIT_STATUSES: Codes = {
    "planned": _l("Visit to make"),
    "done": _l("Visited"),
    "cancelled": _l("Cancelled"),
}

# What an urgent visit report (巡访紧急报告) is about, seed 003 第十一条.
URGENT_REPORT_KINDS: Codes = {
    "competitor_policy": _l("A competitor's sales policy changed markedly"),
    "competitor_product": _l("A competitor launched a new product"),
    "competitor_service": _l("A new trend in competitors' sales or service"),
    "our_defect": _l("A serious defect or problem of our own"),
    "other": _l("Another matter needing urgent handling"),
}

TRAINING_KINDS: Codes = {
    "internal": _l("Internal training"),
    "onsite": _l("On-site training"),
    "case_study": _l("Case study"),
    "external": _l("External training"),
}

# Shifts of a department's duty (值班, seed 003 客服运营方案 三.1).
SHIFTS: Codes = {
    "morning": _l("Morning shift"),
    "day": _l("Day shift"),
    "evening": _l("Evening shift"),
}

HANDOVER_STATUSES: Codes = {
    "open": _l("Awaiting acknowledgement"),
    "acknowledged": _l("Shift taken over"),
}

# What an open item of a handover note is.
HANDOVER_RECORD_TYPES: Codes = {
    "case": _l("Case"),
    "pickup": _l("Pickup"),
}

DELAY_UNITS: Codes = {
    "working_days": _l("Working days"),
    "calendar_days": _l("Calendar days"),
}

IMPROVEMENT_STATUSES: Codes = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "done": _l("Done, to verify"),
    "verified": _l("Verified"),
    "cancelled": _l("Cancelled"),
}

# KPI codes (SPEC §5); definitions live in app.services.reporting.kpi.
KPI_CODES: Codes = {
    "complaint_timeliness": _l("Complaint handling timeliness"),
    "response_timeliness": _l("Response timeliness"),
    "pickup_response_timeliness": _l("Pickup response timeliness"),
    "satisfaction_mean": _l("Customer satisfaction (mean score)"),
    "satisfaction_share": _l("Customer satisfaction (share of scores 4-5)"),
    "repeat_complaint_rate": _l("Repeat-complaint rate"),
    "first_time_resolution": _l("First-time resolution rate"),
    "weighing_accuracy": _l("Recovery accuracy"),
    "arrival_on_time": _l("On-time arrival"),
    "business_on_time": _l("Business requests completed on time"),
    "aftersales_on_time": _l("After-sales completed on time"),
    "complaint_rate_pickups": _l("Complaint rate (per 100 pickups)"),
    "complaint_rate_customers": _l("Complaint rate (per 100 active customers)"),
}

NOTIFICATION_LEVELS: Codes = {
    "at_risk": _l("At risk"),
    "breached": _l("Breached"),
    "escalated": _l("Escalated to department head"),
    "management": _l("Escalated to management"),
    "calendar_missing": _l("Calendar missing"),
    "info": _l("Information"),
}

LOG_KINDS: Codes = {
    "contact": _l("Contact with customer"),
    "internal": _l("Internal note"),
    "transition": _l("Status change"),
    "system": _l("System"),
}

CALENDAR_DAY_KINDS: Codes = {
    "holiday": _l("Day off"),
    "workday": _l("Make-up working day"),
    "custom": _l("Custom hours"),
}

CALENDAR_YEAR_STATUSES: Codes = {
    "published": _l("Published"),
    "provisional": _l("Provisional"),
    "manual": _l("Entered manually"),
}

WEEKDAYS: Codes = {
    "0": _l("Monday"),
    "1": _l("Tuesday"),
    "2": _l("Wednesday"),
    "3": _l("Thursday"),
    "4": _l("Friday"),
    "5": _l("Saturday"),
    "6": _l("Sunday"),
}

TASK_STATUSES: Codes = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}


def check_in(column: str, codes: Codes | tuple[str, ...]) -> str:
    """SQL CHECK expression restricting a column to the given codes."""
    values = ", ".join(f"'{c}'" for c in codes)
    return f"{column} IN ({values})"


def label(codes: Codes, code: str | None) -> str:
    """Display label of a code; unknown codes are shown as they are."""
    if code is None:
        return ""
    return str(codes.get(code, code))


NOTICE_EVENTS: Codes = {
    "case_accepted": _l("Case accepted"),
    "case_assigned": _l("Case assigned"),
    "case_promised": _l("Date promised"),
    "case_result": _l("Handling result"),
    "case_closed": _l("Case closed"),
    "pickup_confirmed": _l("Pickup confirmed"),
    "pickup_on_way": _l("Crew on the way"),
    "inspection_result": _l("Inspection result"),
    "settlement_paid": _l("Settlement paid"),
}

NOTICE_CHANNELS: Codes = {
    "email": _l("E-mail"),
    "call": _l("Phone call by the clerk"),
}

NOTICE_STATUSES: Codes = {
    "queued": _l("Waiting to be sent"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "to_call": _l("To be called"),
    "called": _l("Called"),
}

# Items of a supervision spot check of a closed case (seed 001 §8(一)): each
# scored 0-SPOT_CHECK_ITEM_MAX; the total is their sum (0-100).
SPOT_CHECK_ITEMS: Codes = {
    "timeliness": _l("Timeliness of acceptance"),
    "process": _l("Process compliance"),
    "solution": _l("Soundness of the solution"),
    "satisfaction": _l("Customer satisfaction"),
    "records": _l("Completeness of records"),
}
SPOT_CHECK_ITEM_MAX = 20

# The monthly appraisal sheet (seed 002 §4(三)(四), 001 §8(二)): a draft is
# reviewed by the person's department head, approved by Management, and is
# then locked.
APPRAISAL_STATUSES: Codes = {
    "draft": _l("Draft"),
    "reviewed": _l("Reviewed by the department head"),
    "approved": _l("Approved by Management (locked)"),
}

# Rewards and penalties recorded against a sheet (嘉奖/加分/警告/扣分).
ADJUSTMENT_KINDS: Codes = {
    "commendation": _l("Commendation"),
    "bonus": _l("Bonus points"),
    "warning": _l("Warning"),
    "deduction": _l("Points deducted"),
}
# Kinds that carry points, and the sign they count with.
ADJUSTMENT_SIGN = {"bonus": 1, "deduction": -1}

# An emergency plan's versions (应急预案, seed 002 §6): drafts are prepared,
# one version per incident type is put in force by Management, and the one
# it replaces is kept, superseded and read-only.
PLAN_STATUSES: Codes = {
    "draft": _l("Draft"),
    "in_force": _l("In force"),
    "superseded": _l("Replaced by a newer version"),
}
