"""Reference data edited by admins: consistency rules for SLA policies,
calendar days and working windows, price lists, material grades and
follow-up rules (`reference_rules`).

Implements SPEC §2 (reference data and its defaults from seeds 000–004).
"""
