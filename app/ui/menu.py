"""The menu as data: categories and items, with the resource each item needs.

`app.views` registers screens from this table, and the role builder grants
menu access to every item whose resource a role may read.
"""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from app.services.reporting.worklist import OPEN_FOLLOWUPS


class Item(NamedTuple):
    name: str  # FAB menu name (permission object of menu_access)
    label: object
    icon: str
    resource: str  # permission view that reading the screen needs
    href: str | None = None  # a link to a page that is not a FAB view
    # List filters the menu entry opens with (FAB query parameters).
    params: dict[str, str] | None = None


class Category(NamedTuple):
    name: str
    label: object
    icon: str
    items: tuple[Item, ...]


MENU: tuple[Category, ...] = (
    Category(
        "MyWork",
        _l("My work"),
        "fa-bell",
        (
            Item("Notification", _l("My alerts"), "fa-bell", "Notification"),
            Item(
                "CustomerNotice",
                _l("Customer notices"),
                "fa-envelope-o",
                "CustomerNotice",
            ),
            Item(
                "ApprovalQueue",
                _l("Solutions awaiting approval"),
                "fa-gavel",
                "SolutionApproval",
            ),
        ),
    ),
    Category(
        "Service",
        _l("Customer service"),
        "fa-headphones",
        (
            Item("Customer", _l("Customers"), "fa-address-book", "Customer"),
            Item(
                "GradeProposals",
                _l("Regrading proposals"),
                "fa-sort-amount-desc",
                "GradeProposal",
            ),
            Item("Case", _l("Service cases"), "fa-ticket", "Case"),
            Item(
                "FollowUp",
                _l("Follow-up visits"),
                "fa-phone",
                "FollowUp",
                params=OPEN_FOLLOWUPS,
            ),
            Item("VisitPlan", _l("Visit plans"), "fa-calendar", "VisitPlan"),
            Item("Visit", _l("Key-account visits"), "fa-car", "Visit"),
            Item(
                "VisitSummary",
                _l("Monthly visit summary"),
                "fa-list-alt",
                "Visit",
            ),
            Item(
                "ImprovementAction",
                _l("Improvement actions"),
                "fa-line-chart",
                "ImprovementAction",
            ),
        ),
    ),
    Category(
        "Staff",
        _l("Training and shifts"),
        "fa-graduation-cap",
        (
            Item("TrainingPlans", _l("Training plans"), "fa-calendar", "TrainingPlan"),
            Item(
                "TrainingSessions",
                _l("Training sessions"),
                "fa-users",
                "TrainingSession",
            ),
            Item(
                "TrainingAssessments",
                _l("Assessment results"),
                "fa-check-square-o",
                "TrainingAssessment",
            ),
            Item("HandoverNotes", _l("Shift handover"), "fa-exchange", "HandoverNote"),
        ),
    ),
    Category(
        "Analysis",
        _l("Analysis"),
        "fa-bar-chart",
        (
            Item("Dashboard", _l("Dashboard"), "fa-tachometer", "Dashboard"),
            Item("Kpis", _l("KPI report"), "fa-bullseye", "Kpi"),
            Item("ComplaintAnalysis", _l("Complaint analysis"), "fa-pie-chart", "Kpi"),
            Item(
                "ComplaintReports",
                _l("Monthly complaint reports"),
                "fa-file-text",
                "ComplaintReport",
            ),
            Item("Exports", _l("Exports"), "fa-download", "Kpi"),
            Item(
                "BusinessStatistics",
                _l("Business statistics"),
                "fa-area-chart",
                "BusinessStatistics",
            ),
        ),
    ),
    Category(
        "Supervision",
        _l("Supervision and appraisal"),
        "fa-check-square-o",
        (
            Item("SpotChecks", _l("Spot checks"), "fa-search", "SpotCheck"),
            Item("SitePatrols", _l("Site patrols"), "fa-binoculars", "SitePatrol"),
            Item("Appraisals", _l("Monthly appraisal"), "fa-id-card-o", "Appraisal"),
            Item(
                "AppraisalPeriods",
                _l("Appraisal by quarter and year"),
                "fa-calendar-check-o",
                "Appraisal",
            ),
        ),
    ),
    Category(
        "Emergencies",
        _l("Emergency handling"),
        "fa-fire-extinguisher",
        (
            Item(
                "EmergencyPlans",
                _l("Emergency plans"),
                "fa-life-ring",
                "EmergencyPlan",
            ),
            Item(
                "IncidentReviews",
                _l("Post-incident reviews"),
                "fa-file-text-o",
                "IncidentReview",
            ),
        ),
    ),
    Category(
        "Recycling",
        _l("Recycling"),
        "fa-recycle",
        (
            Item("Pickup", _l("Pickups"), "fa-truck", "Pickup"),
            Item(
                "ServiceAcceptances",
                _l("On-site acceptances"),
                "fa-pencil-square-o",
                "ServiceAcceptance",
            ),
            Item("WeighTicket", _l("Weigh tickets"), "fa-balance-scale", "WeighTicket"),
            Item("Inspection", _l("Inspections"), "fa-flask", "Inspection"),
            Item("Reweigh", _l("Warehouse re-weighs"), "fa-cube", "Reweigh"),
            Item("Settlement", _l("Settlements"), "fa-money", "Settlement"),
        ),
    ),
    Category(
        "Finance",
        _l("Finance"),
        "fa-jpy",
        (
            Item(
                "Statement",
                _l("Statements of account"),
                "fa-file-text-o",
                "Statement",
            ),
            Item(
                "Receivables",
                _l("Receivables and payables"),
                "fa-hourglass-half",
                "Receivables",
            ),
            Item(
                "OverdueTask",
                _l("Overdue follow-up tasks"),
                "fa-phone-square",
                "OverdueTask",
            ),
        ),
    ),
    Category(
        "Reference",
        _l("Reference data"),
        "fa-book",
        (
            Item("Departments", _l("Departments"), "fa-sitemap", "ReferenceData"),
            Item("CustomerTypes", _l("Customer types"), "fa-users", "ReferenceData"),
            Item("CustomerGrades", _l("Customer grades"), "fa-star", "ReferenceData"),
            Item("Channels", _l("Channels"), "fa-comments", "ReferenceData"),
            Item("CaseCategories", _l("Case categories"), "fa-tags", "ReferenceData"),
            Item(
                "IncidentTypes",
                _l("Incident types"),
                "fa-exclamation-triangle",
                "ReferenceData",
            ),
            Item("SlaPolicies", _l("SLA policies"), "fa-clock-o", "ReferenceData"),
            Item("WorkWindows", _l("Work windows"), "fa-calendar-o", "ReferenceData"),
            Item(
                "CalendarDays", _l("Business calendar"), "fa-calendar", "ReferenceData"
            ),
            Item(
                "CalendarYears",
                _l("Calendar years"),
                "fa-calendar-check-o",
                "ReferenceData",
            ),
            Item("Materials", _l("Materials"), "fa-cubes", "ReferenceData"),
            Item(
                "MaterialGrades",
                _l("Material grades"),
                "fa-star-half-o",
                "ReferenceData",
            ),
            Item("PriceList", _l("Price list"), "fa-jpy", "ReferenceData"),
            Item(
                "PaymentTerms",
                _l("Payment terms"),
                "fa-calendar-plus-o",
                "ReferenceData",
            ),
            Item("FollowUpRules", _l("Follow-up rules"), "fa-repeat", "ReferenceData"),
            Item("KpiTargets", _l("KPI targets"), "fa-bullseye", "ReferenceData"),
            Item(
                "NoticeTemplates",
                _l("Notice templates"),
                "fa-envelope",
                "ReferenceData",
            ),
            Item("Settings", _l("Settings"), "fa-sliders", "ReferenceData"),
            Item(
                "StandardChanges",
                _l("Standard changes"),
                "fa-gavel",
                "StandardChange",
            ),
        ),
    ),
    Category(
        "System",
        _l("System"),
        "fa-cogs",
        (
            Item("AuditLog", _l("Audit trail"), "fa-history", "AuditLog"),
            Item("Imports", _l("Excel import"), "fa-upload", "DataImport"),
            Item("JobRuns", _l("Job runs"), "fa-tasks", "JobMonitor"),
            Item(
                "JobDashboard",
                _l("Job queues (RQ)"),
                "fa-tachometer",
                "JobMonitor",
                href="/admin/rq/",
            ),
        ),
    ),
)


def menu_resources() -> dict[str, list[tuple[str, str]]]:
    """Category -> [(menu item name, resource)] for the role builder."""
    return {c.name: [(i.name, i.resource) for i in c.items] for c in MENU}
