"""Excel imports (openpyxl) of reference and customer data, all or nothing.

Owns: what each sheet holds and how a row becomes a record (`sheets`:
customers with contacts - seed 002 §7(一) 建立客户信息档案; price lists - SPEC §2
价格表; calendar days - China's holiday arrangement as published by the State
Council, typed into a sheet when the calendar library lags - SPEC §2 工作日历);
the template workbook to start from (`template`); and the import run itself
(`importer`): every row saved through the same record rules and scoping as
the screens (`app.services.core.records`), as the admin who uploaded it; any
refused row refuses the whole file and yields a per-row error report; calendar
days imported move the open clocks like any calendar edit. Runs as an RQ job
with its progress shown (`app.jobs.imports`).
"""
