"""Deadlines: the business calendar, service targets and the deadline check.

Owns: working-time arithmetic over weekly windows and dated overrides
(`working_time`, pure); the admin-edited calendar read from the database
(`business_calendar`); China's holiday arrangements with make-up working days
(`china_holidays`); due, at-risk and time-left instants of a service target
(`service_targets`, pure); the clocks of cases, pickups, follow-ups and
improvement actions with SLA policy matching, pause, resume and reopen
(`record_clocks`); and the periodic deadline check that marks, alerts and
escalates (`deadline_check`).

Implements seed 000 §3 (response and resolution targets), seed 001 §4–5
(complaint deadlines), seed 002 §3 (pickup confirmation) and §6 (incident
escalation), seed 004 第十八条 (after-sales time standards); counting rules in
SPEC §2.
"""
