"""Money owed between the company and its customers, month by month.

Owns: payment terms and the due date of a confirmed settlement, with its
payment clock (`terms`, seed 002 §3(四) 及时结算); the customer ledger and its
balances (`ledger`); monthly statements of account (对账单) with the customer's
confirmation or dispute, their print and workbook (`statements`, seed 003
物流 第十七–十八条 每月对账、确认未收款); receivables and payables ageing and the
follow-up tasks of overdue items (`receivables`, seed 003 物流 第十八条); and the
invoice status of settlements (`invoices`, seed 003 物流 第十七条 确认费用后开具发票).

Conventions: a customer's balance is what the customer owes the company
(debit, 借方: sales settled, payments we made) minus what the company owes the
customer (credit, 贷方: purchases settled, receipts). Positive = the customer
owes us. Amounts are exact CNY; sums run on whole cents in SQL.
"""
