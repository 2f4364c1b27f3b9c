"""Service cases (客户服务工单): registration and the complaint workflow.

Owns: registering a case — number, routing to the category's department or a
supervision channel's (`routing`, seed 001 §8(一)),
first-ask owner (首问负责制), kind and severity (`registration`, seed 000 §3,
001 §3–4) — and the case workflow as explicit steps: acknowledge, assign, work,
wait for the customer, submit, Management approval, review, feedback, close,
reopen, cancel, each written to the communication log (`case_steps`,
seed 001 §4–6).
"""
