"""Roles as data: what each department role may do, synced by `flask roles sync`.

A permission is (resource, action). Resources are the `class_permission_name`
of screens and APIs (both share one name per record type) plus a few virtual
ones for workflow steps and special rights. Everything else is derived from
this table: FAB's built-in role regexes, menu access and the DB role rows.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# Method -> permission for every record screen and API (FAB's method names).
METHOD_PERMISSIONS = {
    "list": "read",
    "show": "read",
    "download": "read",
    "get": "read",
    "get_list": "read",
    "info": "read",
    "related": "read",
    "distinct": "read",
    "print_view": "read",
    "add": "add",
    "post": "add",
    "edit": "edit",
    "put": "edit",
    "delete": "delete",
    "step": "read",  # each workflow step checks its own permission
    "mark_read": "edit",
    "open": "read",
    "action": "read",
    "action_post": "read",
}

R = ("read",)
RA = ("read", "add")
RAE = ("read", "add", "edit")
RAED = ("read", "add", "edit", "delete")
RE = ("read", "edit")

# Steps any department clerk takes on a case routed to their department.
CASE_HANDLING = (
    "start",
    "pend",
    "resume",
    "submit",
    "log",
    "attach",
    "promise",
    "keep_promise",
)

ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "CustomerService": {
        "Scope": ("see_all",),
        "Confidential": ("see_contact",),
        "Customer": RAE,
        "CustomerContact": RAED,
        "Case": RAE,
        "CaseLog": RA,
        "CaseAttachment": RAED,
        "CaseWorkflow": (
            "acknowledge",
            "assign",
            "answer",
            "review",
            "send_back",
            "close",
            "reopen",
            "cancel",
            "reclassify",
            *CASE_HANDLING,
        ),
        "Pickup": RA,
        "PickupLine": RAE,
        "PickupLog": R,
        "WeighTicket": R,
        "WeighLine": R,
        "Reweigh": R,
        "Inspection": R,
        "InspectionWorkflow": ("dispute",),
        "Settlement": R,
        "SettlementLine": R,
        "FollowUp": RAED,
        "FollowUpWorkflow": ("complete", "unreachable"),
        "GradeProposal": R,
        # The customer's on-site acceptance of a pickup or after-sales service.
        "ServiceAcceptance": RAE,
        "VisitPlan": RAED,
        "Visit": RAED,
        "VisitWorkflow": ("report", "urgent", "cancel"),
        "ImprovementAction": RAE,
        "ImprovementWorkflow": ("start", "complete", "cancel"),
        # The monthly complaint analysis report (seed 001 §7(一)2).
        "ComplaintReport": RAE,
        "ComplaintReportWorkflow": ("send",),
        "Notification": RE,
        # Messages to customers; call tasks of those without e-mail.
        "CustomerNotice": R,
        "NoticeWorkflow": ("called",),
        "ReferenceData": R,
        "Dashboard": R,
        "Kpi": ("read", "export"),
        "BusinessStatistics": R,
        # Spot checks of closed cases (seed 001 §8(一)).
        "SpotCheck": RAE,
        # Own monthly appraisal sheet; a head reviews the department's and
        # records rewards and penalties (app.services.supervision.appraisal).
        "Appraisal": RE,
        "AppraisalWorkflow": ("review", "adjust"),
    },
    "Sales": {
        "Confidential": ("see_contact",),
        "Customer": RAE,
        # The head of Sales assigns customers' sales reps (seed 003 第四条).
        "SalesRep": ("assign",),
        "CustomerContact": RAED,
        "Case": RAE,
        "CaseLog": RA,
        "CaseAttachment": RA,
        "CaseWorkflow": ("acknowledge", *CASE_HANDLING),
        "Pickup": RA,
        "PickupLine": RAE,
        "PickupLog": R,
        "Settlement": R,
        "SettlementLine": R,
        # Statements and overdue items of the customers they represent.
        "Statement": R,
        "StatementWorkflow": ("send", "confirm", "dispute"),
        "Receivables": ("read", "export"),
        "OverdueTask": RE,
        "OverdueTaskWorkflow": ("log",),
        "FollowUp": RAE,
        "FollowUpWorkflow": ("complete", "unreachable"),
        # Regrading proposals of the customers they represent (seed 003 第四条).
        "GradeProposal": R,
        "GradeProposalWorkflow": ("accept", "reject"),
        "ServiceAcceptance": R,
        "VisitPlan": RAE,
        "Visit": RAE,
        "VisitWorkflow": ("report", "urgent", "cancel"),
        "ImprovementAction": RE,
        "ComplaintReport": R,
        "ImprovementWorkflow": ("start", "complete"),
        "Notification": RE,
        # Messages to customers; call tasks of those without e-mail.
        "CustomerNotice": R,
        "NoticeWorkflow": ("called",),
        "ReferenceData": R,
        "Dashboard": R,
        "Kpi": ("read", "export"),
        "BusinessStatistics": R,
        "SpotCheck": R,
        # Own monthly appraisal sheet; a head reviews the department's and
        # records rewards and penalties (app.services.supervision.appraisal).
        "Appraisal": RE,
        "AppraisalWorkflow": ("review", "adjust"),
    },
    "Operations": {
        "Confidential": ("see_contact",),
        "Customer": R,
        "CustomerContact": R,
        "Case": RAE,
        "CaseLog": RA,
        "CaseAttachment": RA,
        "CaseWorkflow": ("acknowledge", *CASE_HANDLING),
        "Pickup": RAED,
        "PickupLine": RAED,
        "PickupLog": R,
        "PickupWorkflow": (
            "schedule",
            "depart",
            "arrive",
            "assess",
            "collect",
            "cancel",
        ),
        "WeighTicket": R,
        "WeighLine": R,
        "Inspection": R,
        "FollowUp": R,
        "ServiceAcceptance": RAE,
        # Technicians visiting with the plan (seed 003 第七条) report their visits.
        "VisitPlan": R,
        "Visit": R,
        "VisitWorkflow": ("report",),
        "ImprovementAction": RE,
        "ComplaintReport": R,
        "ImprovementWorkflow": ("start", "complete"),
        "Notification": RE,
        # Messages to customers; call tasks of those without e-mail.
        "CustomerNotice": R,
        "NoticeWorkflow": ("called",),
        "ReferenceData": R,
        "Dashboard": R,
        "Kpi": ("read", "export"),
        "BusinessStatistics": R,
        "SpotCheck": R,
        # Patrols are the head's (app.services.supervision.checks).
        "SitePatrol": RAE,
        # Own monthly appraisal sheet; a head reviews the department's and
        # records rewards and penalties (app.services.supervision.appraisal).
        "Appraisal": RE,
        "AppraisalWorkflow": ("review", "adjust"),
    },
    "Warehouse": {
        "Customer": R,
        "CustomerContact": R,
        "Case": RAE,
        "CaseLog": RA,
        "CaseAttachment": RA,
        "CaseWorkflow": CASE_HANDLING,
        "Pickup": R,
        "PickupLine": R,
        "PickupLog": R,
        "PickupWorkflow": ("weigh",),
        "WeighTicket": RAE,
        "WeighLine": RAED,
        "Reweigh": RAE,
        "Inspection": R,
        "ImprovementAction": RE,
        "ComplaintReport": R,
        "ImprovementWorkflow": ("start", "complete"),
        "Notification": RE,
        "ReferenceData": R,
        "Dashboard": R,
        "Kpi": ("read", "export"),
        "BusinessStatistics": R,
        "SpotCheck": R,
        # Own monthly appraisal sheet; a head reviews the department's and
        # records rewards and penalties (app.services.supervision.appraisal).
        "Appraisal": RE,
        "AppraisalWorkflow": ("review", "adjust"),
    },
    "QualityControl": {
        "Customer": R,
        "CustomerContact": R,
        "Case": RAE,
        "CaseLog": RA,
        "CaseAttachment": RA,
        "CaseWorkflow": CASE_HANDLING,
        "Pickup": R,
        "PickupLine": R,
        "PickupLog": R,
        "PickupWorkflow": ("inspect",),
        "WeighTicket": R,
        "WeighLine": R,
        "Reweigh": R,
        "Inspection": RAED,
        "InspectionWorkflow": ("dispute",),
        "ImprovementAction": RE,
        "ComplaintReport": R,
        "ImprovementWorkflow": ("start", "complete"),
        "Notification": RE,
        "ReferenceData": R,
        "Dashboard": R,
        "Kpi": ("read", "export"),
        "BusinessStatistics": R,
        "SpotCheck": R,
        # Own monthly appraisal sheet; a head reviews the department's and
        # records rewards and penalties (app.services.supervision.appraisal).
        "Appraisal": RE,
        "AppraisalWorkflow": ("review", "adjust"),
    },
    "Finance": {
        "Confidential": ("see_contact",),
        "Customer": R,
        "CustomerContact": R,
        "Case": RAE,
        "CaseLog": RA,
        "CaseAttachment": RA,
        "CaseWorkflow": CASE_HANDLING,
        "Pickup": R,
        "PickupLine": R,
        "PickupLog": R,
        "PickupWorkflow": ("settle", "close"),
        "WeighTicket": R,
        "WeighLine": R,
        "Reweigh": R,
        "Inspection": R,
        "Settlement": RAE,  # never deleted: numbers stay gap-free; void instead
        "SettlementLine": RAED,
        "SettlementWorkflow": (
            "confirm",
            "pay",
            "void",
            "adjust",
            "add_lot",
            "invoice",
            "no_invoice",
        ),
        "Statement": RAE,  # never deleted: numbers stay gap-free
        "StatementWorkflow": ("prepare", "send", "confirm", "dispute"),
        "Receivables": ("read", "export"),
        "OverdueTask": RE,
        "OverdueTaskWorkflow": ("log", "close"),
        "FollowUp": R,
        "ImprovementAction": RE,
        "ComplaintReport": R,
        "ImprovementWorkflow": ("start", "complete"),
        "Notification": RE,
        # Messages to customers; call tasks of those without e-mail.
        "CustomerNotice": R,
        "NoticeWorkflow": ("called",),
        "ReferenceData": R,
        "Dashboard": R,
        "Kpi": ("read", "export"),
        "BusinessStatistics": R,
        "SpotCheck": R,
        # Own monthly appraisal sheet; a head reviews the department's and
        # records rewards and penalties (app.services.supervision.appraisal).
        "Appraisal": RE,
        "AppraisalWorkflow": ("review", "adjust"),
    },
    "Management": {
        "Scope": ("see_all",),
        "Confidential": ("see_contact",),
        "Customer": R,
        "CustomerContact": R,
        "Case": R,
        "CaseLog": RA,
        "CaseAttachment": R,
        # lower_major: lowering a major complaint in the reclassify step.
        "CaseWorkflow": ("approve", "reclassify", "lower_major", "log"),
        "Pickup": R,
        "PickupLine": R,
        "PickupLog": R,
        "WeighTicket": R,
        "WeighLine": R,
        "Reweigh": R,
        "Inspection": R,
        "Settlement": R,
        "SettlementLine": R,
        "Statement": R,
        "Receivables": ("read", "export"),
        "OverdueTask": R,
        "FollowUp": R,
        "GradeProposal": R,
        "GradeProposalWorkflow": ("accept", "reject"),
        "ServiceAcceptance": R,
        "VisitPlan": R,
        "Visit": R,
        "ImprovementAction": RAED,
        "ComplaintReport": R,
        "ImprovementWorkflow": ("start", "complete", "verify", "cancel"),
        "Notification": RE,
        "CustomerNotice": R,
        "ReferenceData": R,
        "AuditLog": R,
        "Dashboard": ("read", "home"),  # home: the dashboard is the landing page
        "Kpi": ("read", "export", "recompute"),
        "BusinessStatistics": R,
        # Level-2 escalations (预警升级至管理层) go to holders of this right.
        "Escalation": ("receive",),
        # The queue of major complaints' solutions to approve (seed 001 §5).
        "SolutionApproval": ("read",),
        # Service-standard changes proposed by admins (seed 000 §2(六)1).
        "StandardChange": R,
        "StandardChangeWorkflow": ("approve", "reject"),
        "SpotCheck": RAE,
        # Site patrols of pickup crews (seed 002 §4(一)2), with the Operations head.
        "SitePatrol": RAE,
        # Every appraisal sheet: approves and locks it (seed 002 §4(四)).
        "Appraisal": RE,
        "AppraisalWorkflow": ("review", "approve", "adjust"),
    },
}

# Training (seed 003 客服部规章 第十七–十九条): every role reads what concerns
# it (the scope rules narrow it to one's own records, a head's department);
# the rules let only department heads and Management write.
TRAINING = {
    "TrainingPlan": RAE,
    "TrainingSession": RAE,
    "TrainingAttendance": RAED,
    "TrainingAssessment": RAE,
}
for _grants in ROLE_PERMISSIONS.values():
    _grants.update(TRAINING)
# Management sees every department's training and clears staff for duty.
ROLE_PERMISSIONS["Management"]["Training"] = ("see_all", "manage")

# Shift handover (seed 003 客服运营方案 三.1): every department's staff write
# their notes and take over the next shift; the scope rule keeps each to its
# department, Management reads all.
HANDOVER = {
    "HandoverNote": RAE,
    "HandoverItem": RE,
    "HandoverWorkflow": ("acknowledge",),
}
for _role, _grants in ROLE_PERMISSIONS.items():
    _grants.update(
        HANDOVER if _role != "Management" else {"HandoverNote": R, "HandoverItem": R}
    )
ROLE_PERMISSIONS["Management"]["Handover"] = ("see_all",)

# Emergency handling (seed 002 §6): every role reads the emergency plans in
# force (and the plan of an incident case it sees) and the post-incident
# reviews of the cases it sees; CustomerService and Management write reviews;
# Management (with the admins) maintains the plans and puts a version in force.
EMERGENCIES = {
    "EmergencyPlan": R,
    "PlanResponsible": R,
    "IncidentReview": R,
}
for _grants in ROLE_PERMISSIONS.values():
    _grants.update(EMERGENCIES)
ROLE_PERMISSIONS["CustomerService"]["IncidentReview"] = RAE
ROLE_PERMISSIONS["Management"].update(
    {
        "EmergencyPlan": RAED,
        "PlanResponsible": RAED,
        "EmergencyPlanWorkflow": ("put_in_force",),
        "IncidentReview": RAE,
    }
)

# Menu items every signed-in user may open, and FAB's self-service screens.
SELF_SERVICE = [
    ("UserDBModelView", "can_userinfo"),
    ("UserDBModelView", "resetmypassword"),
    ("UserDBModelView", "userinfoedit"),
    ("ResetMyPasswordView", "can_this_form_get"),
    ("ResetMyPasswordView", "can_this_form_post"),
    ("UserInfoEditView", "can_this_form_get"),
    ("UserInfoEditView", "can_this_form_post"),
    # The OpenAPI document describes the API every role calls; the Swagger UI
    # page that tries its operations out is the Admin's only (issue 12).
    ("OpenApi", "can_get"),
    ("MenuApi", "can_get"),
    ("Home", "can_read"),
]

ADMIN_ROLE = "Admin"
ROLE_NAMES = (*ROLE_PERMISSIONS, ADMIN_ROLE)

# What each role is called on screen; the names above are identifiers.
ROLE_LABELS = {
    "CustomerService": _l("Customer service clerk"),
    "Sales": _l("Sales representative"),
    "Operations": _l("Operations dispatcher"),
    "Warehouse": _l("Warehouse keeper"),
    "QualityControl": _l("Quality inspector"),
    "Finance": _l("Finance clerk"),
    "Management": _l("Management"),
    ADMIN_ROLE: _l("System administrator"),
    "Public": _l("Signed-out visitor"),
}


def role_label(role: object) -> str:
    """A role (or its name) as the screens call it."""
    name = str(getattr(role, "name", role))
    return str(ROLE_LABELS.get(name, name))


def _exact(value: str) -> str:
    return "^" + re.escape(value) + "$"


def fab_roles(menu: dict[str, list[tuple[str, str]]]) -> dict[str, list[list[str]]]:
    """Build FAB_ROLES (view regex, permission regex) from the table above.

    `menu` maps each menu category to its items as (menu name, resource); a
    role gets menu access to every item whose resource it may read and to the
    categories holding them.
    """
    roles: dict[str, list[list[str]]] = {}
    for role, grants in ROLE_PERMISSIONS.items():
        pairs = [
            [_exact(resource), _exact(f"can_{action}")]
            for resource, actions in grants.items()
            for action in actions
        ]
        pairs += [[_exact(view), _exact(perm)] for view, perm in SELF_SERVICE]
        readable = {res for res, actions in grants.items() if "read" in actions}
        readable.add("Home")
        for category, items in menu.items():
            visible = [name for name, resource in items if resource in readable]
            pairs += [[_exact(name), "^menu_access$"] for name in visible]
            if visible:
                pairs.append([_exact(category), "^menu_access$"])
        roles[role] = pairs
    roles[ADMIN_ROLE] = [[".*", ".*"]]
    return roles


def role_grants(role: str, resource: str) -> tuple[str, ...]:
    """Actions of a resource granted to a role (Admin: every action)."""
    return ROLE_PERMISSIONS.get(role, {}).get(resource, ())
