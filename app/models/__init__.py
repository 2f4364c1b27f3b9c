"""All models, importable from one place (Alembic and the app import this)."""

from flask_appbuilder.models.sqla import Base

from app.models import indexes  # noqa: F401 - indexes serving the lists
from app.models.base import (
    BUSINESS_TZ,
    AwareDateTime,
    Stamped,
    make_times_aware,
    money,
    now,
)
from app.models.cases import (
    Case,
    CaseAttachment,
    CaseLog,
    CasePause,
    CaseRating,
    CaseRound,
)
from app.models.customers import Customer, CustomerContact, GradeProposal
from app.models.finance import OverdueTask, Statement
from app.models.followups import (
    ComplaintReport,
    FollowUp,
    ImprovementAction,
    ServiceAcceptance,
)
from app.models.handover import HandoverItem, HandoverNote
from app.models.notices import CustomerNotice, NoticeTemplate
from app.models.recycling import (
    Inspection,
    Pickup,
    PickupLine,
    PickupLog,
    Reweigh,
    Settlement,
    SettlementLine,
    WeighLine,
    WeighTicket,
)
from app.models.reference import (
    AppUser,
    CalendarDay,
    CalendarYear,
    CaseCategory,
    Channel,
    CustomerGrade,
    CustomerType,
    Department,
    FollowUpRule,
    KpiTarget,
    Material,
    MaterialGrade,
    PaymentTerm,
    PriceListItem,
    Setting,
    SlaPolicy,
    StandardChange,
    WorkWindow,
)
from app.models.supervision import (
    Appraisal,
    AppraisalAdjustment,
    AppraisalFigure,
    SitePatrol,
    SpotCheck,
)
from app.models.system import (
    AuditLog,
    BackgroundTask,
    JobRun,
    KpiSnapshot,
    Notification,
    NotificationRecipient,
    NumberSequence,
)
from app.models.training import (
    TrainingAssessment,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
)
from app.models.visits import Visit, VisitPlan

make_times_aware(Base.registry)

__all__ = [
    "BUSINESS_TZ",
    "AppUser",
    "Appraisal",
    "AppraisalAdjustment",
    "AppraisalFigure",
    "AuditLog",
    "AwareDateTime",
    "BackgroundTask",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseAttachment",
    "CaseCategory",
    "CaseLog",
    "CasePause",
    "CaseRating",
    "CaseRound",
    "Channel",
    "ComplaintReport",
    "Customer",
    "CustomerContact",
    "CustomerGrade",
    "CustomerNotice",
    "CustomerType",
    "Department",
    "FollowUp",
    "FollowUpRule",
    "GradeProposal",
    "HandoverItem",
    "HandoverNote",
    "ImprovementAction",
    "Inspection",
    "JobRun",
    "KpiSnapshot",
    "KpiTarget",
    "Material",
    "MaterialGrade",
    "NoticeTemplate",
    "Notification",
    "NotificationRecipient",
    "NumberSequence",
    "OverdueTask",
    "PaymentTerm",
    "Pickup",
    "PickupLine",
    "PickupLog",
    "PriceListItem",
    "Reweigh",
    "ServiceAcceptance",
    "Setting",
    "Settlement",
    "SettlementLine",
    "SitePatrol",
    "SlaPolicy",
    "SpotCheck",
    "Stamped",
    "StandardChange",
    "Statement",
    "TrainingAssessment",
    "TrainingAttendance",
    "TrainingPlan",
    "TrainingSession",
    "Visit",
    "VisitPlan",
    "WeighLine",
    "WeighTicket",
    "WorkWindow",
    "money",
    "now",
]
