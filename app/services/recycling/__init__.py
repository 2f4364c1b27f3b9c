"""The recycling flow: pickups, weighing, inspection, pricing and settlement.

Owns: the record rules of pickups, weigh tickets, inspections and settlements
— numbers, owning departments, weights, accepted net, line amounts, locks
(`recycling_rules`); the pickup workflow from booking to close
(`pickup_steps`); the settlement workflow draft → confirmed → paid / voided
with adjusting entries (`settlement_steps`); inspection disputes as linked QC
cases (`inspection_disputes`); the price in force on a date (`pricing`); and
what the printed weigh ticket and settlement voucher show (`printing`).

Implements seed 002 §3 (上门回收: appointment, dispatch, assessment,
collection, weighing, inspection, settlement) and SPEC §3's money and weight
rules.
"""
