"""The shared kernel every domain builds on.

Owns: the per-record-type create/update/delete rules registry (`records`), the
explicit-step workflow engine (`workflow`), gap-free document numbers
(`numbering`), the domain exception hierarchy (`errors`), domain events emitted
after a commit (`events`), the audit trail (`audit`, 操作日志 — SPEC §3),
shared field validators (`validation`), the run-once record of periodic jobs
(`job_runs`), the idempotent set-up after migrations (`setup`), the database
time limits of web requests and jobs (`db_limits`) and SQL expressions written
once for PostgreSQL and SQLite (`portable_sql`).
"""
