"""Telling people: alerts raised once per clock and level, the in-app inbox,
and e-mail over SMTP sent at most once.

Owns: raising alerts to their recipients — owner, department head, Management
on escalation (`alerts`); reading and marking the signed-in user's alerts
(`inbox`); and delivering them by e-mail (`mail`).

Implements the escalation of seed 001 §5 and seed 002 §6 and SPEC §3
"Notification / escalation (预警与升级)".
"""
