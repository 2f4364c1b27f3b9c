"""What managers and clerks read: KPIs, analysis, dashboard, exports, actions.

Owns: the KPI definitions computed by SQL aggregates (`kpi`, seed 001 §8,
002 §4, 004 第二十一条); complaint analysis by category, stage, region,
customer and month (`complaint_analysis`, seed 001 §7(一)); the dashboard's
figures (`dashboard`); the complaint register and KPI report workbooks
(`exports`, seed 001 §7 统一的客户投诉记录表, rows written by `sheets`, which
keeps formula-like text as text); improvement actions created from
the analysis with their deadlines and effectiveness check (`improvements`,
seed 001 §7(二)); business statistics - volumes, prices against the list,
settlement amounts (`business`, seed 002 §7(二)); and each user's work at a
glance (`worklist`).
"""
