"""Follow-up visits (回访): the rules, their generation and the visit steps.

Owns: follow-up visit record rules (`visit_rules`); generating the visits the
follow-up rules ask for — after a closed complaint, a settled pickup, and the
regular partner visits — exactly once per source (`generation`); and the
visit as explicit steps, where a dissatisfied score reopens the case or opens
a new complaint (`visit_steps`).

Implements seed 001 §6 (回访 after handling), seed 003 第八条 (follow-up after a
problem is solved) and SPEC §2's follow-up rules.
"""
