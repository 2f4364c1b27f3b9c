"""The customer archive (客户档案, SPEC §3): codes, unified social credit codes,
contact data and the owning department of each customer.

Implements seed 002 §7(一) (customer files kept complete and confidential) and
the confidentiality rule of seed 003 (客户信息保密) together with the masking in
`app.security`.
"""
