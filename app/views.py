"""Registers every screen and API with FAB, following the menu table."""

from __future__ import annotations

from urllib.parse import urlencode

from flask_appbuilder import AppBuilder

from app.api import APIS
from app.ui.audit import AuditLogView
from app.ui.cases import (
    ApprovalQueueView,
    CaseAttachmentView,
    CaseLogView,
    CaseView,
)
from app.ui.customers import CustomerContactView, CustomerView, GradeProposalView
from app.ui.emergencies import (
    EmergencyPlanView,
    IncidentReviewView,
    IncidentTypeView,
    PlanResponsibleView,
)
from app.ui.finance import (
    OverdueTaskView,
    PaymentTermView,
    ReceivablesView,
    StatementView,
)
from app.ui.handover import HandoverItemView, HandoverNoteView
from app.ui.imports import ImportView
from app.ui.jobs import JobRunView
from app.ui.menu import MENU
from app.ui.notices import CustomerNoticeView, NoticeTemplateView
from app.ui.notify import NotificationView
from app.ui.pickers import PickerView
from app.ui.recycling import (
    InspectionView,
    PickupLineView,
    PickupLogView,
    PickupView,
    ReweighView,
    SettlementLineView,
    SettlementView,
    WeighLineView,
    WeighTicketView,
)
from app.ui.reference import (
    CalendarDayView,
    CalendarYearView,
    CaseCategoryView,
    ChannelView,
    CustomerGradeView,
    CustomerTypeView,
    DepartmentView,
    FollowUpRuleView,
    KpiTargetView,
    MaterialGradeView,
    MaterialView,
    PriceListView,
    SettingView,
    SlaPolicyView,
    WorkWindowView,
)
from app.ui.reporting import (
    BusinessView,
    ComplaintAnalysisView,
    ComplaintReportView,
    DashboardView,
    ExportView,
    ImprovementActionView,
    KpiView,
)
from app.ui.standards import StandardChangeView
from app.ui.supervision import (
    AppraisalPeriodView,
    AppraisalView,
    SitePatrolView,
    SpotCheckView,
)
from app.ui.training import (
    TrainingAssessmentView,
    TrainingAttendanceView,
    TrainingPlanView,
    TrainingSessionView,
)
from app.ui.visits import (
    FollowUpView,
    ServiceAcceptanceView,
    VisitPlanView,
    VisitSummaryView,
    VisitView,
)

MENU_VIEWS = {
    "Notification": NotificationView,
    "CustomerNotice": CustomerNoticeView,
    "NoticeTemplates": NoticeTemplateView,
    "Customer": CustomerView,
    "GradeProposals": GradeProposalView,
    "Case": CaseView,
    "ApprovalQueue": ApprovalQueueView,
    "FollowUp": FollowUpView,
    "VisitPlan": VisitPlanView,
    "Visit": VisitView,
    "VisitSummary": VisitSummaryView,
    "ImprovementAction": ImprovementActionView,
    "TrainingPlans": TrainingPlanView,
    "TrainingSessions": TrainingSessionView,
    "TrainingAssessments": TrainingAssessmentView,
    "HandoverNotes": HandoverNoteView,
    "Dashboard": DashboardView,
    "Kpis": KpiView,
    "ComplaintAnalysis": ComplaintAnalysisView,
    "ComplaintReports": ComplaintReportView,
    "Exports": ExportView,
    "BusinessStatistics": BusinessView,
    "SpotChecks": SpotCheckView,
    "SitePatrols": SitePatrolView,
    "Appraisals": AppraisalView,
    "AppraisalPeriods": AppraisalPeriodView,
    "EmergencyPlans": EmergencyPlanView,
    "IncidentReviews": IncidentReviewView,
    "Pickup": PickupView,
    "ServiceAcceptances": ServiceAcceptanceView,
    "WeighTicket": WeighTicketView,
    "Inspection": InspectionView,
    "Reweigh": ReweighView,
    "Settlement": SettlementView,
    "Statement": StatementView,
    "Receivables": ReceivablesView,
    "OverdueTask": OverdueTaskView,
    "PaymentTerms": PaymentTermView,
    "Departments": DepartmentView,
    "CustomerTypes": CustomerTypeView,
    "CustomerGrades": CustomerGradeView,
    "Channels": ChannelView,
    "CaseCategories": CaseCategoryView,
    "IncidentTypes": IncidentTypeView,
    "SlaPolicies": SlaPolicyView,
    "WorkWindows": WorkWindowView,
    "CalendarDays": CalendarDayView,
    "CalendarYears": CalendarYearView,
    "Materials": MaterialView,
    "MaterialGrades": MaterialGradeView,
    "PriceList": PriceListView,
    "FollowUpRules": FollowUpRuleView,
    "KpiTargets": KpiTargetView,
    "Settings": SettingView,
    "StandardChanges": StandardChangeView,
    "AuditLog": AuditLogView,
    "Imports": ImportView,
    "JobRuns": JobRunView,
}

# Detail screens reached from their parent record, not from the menu.
DETAIL_VIEWS = (
    CustomerContactView,
    CaseLogView,
    CaseAttachmentView,
    PickupLineView,
    PickupLogView,
    WeighLineView,
    SettlementLineView,
    TrainingAttendanceView,
    HandoverItemView,
    PlanResponsibleView,
)


def register(appbuilder: AppBuilder) -> None:
    for category in MENU:
        for item in category.items:
            if item.href:
                appbuilder.add_link(
                    item.name,
                    href=item.href,
                    label=item.label,
                    icon=item.icon,
                    category=category.name,
                    category_label=category.label,
                    category_icon=category.icon,
                )
                continue
            view = MENU_VIEWS[item.name]
            appbuilder.add_view(
                view,
                item.name,
                href=f"{view.route_base}/list/?{urlencode(item.params)}"
                if item.params
                else "",
                label=item.label,
                icon=item.icon,
                category=category.name,
                category_label=category.label,
                category_icon=category.icon,
            )
    for view in DETAIL_VIEWS:
        appbuilder.add_view_no_menu(view)
    appbuilder.add_view_no_menu(PickerView)
    for api in APIS:
        appbuilder.add_api(api)
