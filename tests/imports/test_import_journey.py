"""The admin imports a workbook in Chromium: template, upload, outcome, report."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from app.models import Customer


def test_admin_downloads_the_template_fills_it_and_imports(demo_db, person, tmp_path):
    admin = person("admin")
    admin.open("/imports/")
    with admin.page.expect_download() as download:
        admin.click("下载模板")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    # What the admin types in Excel: one customer, its contact, one wrong row.
    book["客户档案"].append(["衢州江山再生纸品有限公司", "供货客户", None, "毛建军"])
    book["联系人"].append(["衢州江山再生纸品有限公司", "毛建军", "厂长", "13705701234"])
    book["客户档案"].append(["衢州某回收点", "不存在的类型"])
    wrong = tmp_path / "客户导入.xlsx"
    book.save(wrong)

    admin.page.set_input_files("input[name=file]", str(wrong))
    admin.click_button("导入")
    admin.expect_text("1 行未通过校验，未导入任何数据")
    with admin.page.expect_download() as report:
        admin.click("下载错误报告")
    errors = load_workbook(io.BytesIO(Path(report.value.path()).read_bytes()))
    (problem,) = list(errors["错误"].iter_rows(min_row=2, values_only=True))
    assert problem[:3] == ("客户档案", 3, "客户类型")
    assert (
        demo_db.session.query(Customer)
        .filter_by(name="衢州江山再生纸品有限公司")
        .count()
        == 0
    )

    book["客户档案"].delete_rows(3)  # the admin removes the wrong row
    right = tmp_path / "客户导入-改.xlsx"
    book.save(right)
    admin.open("/imports/")
    admin.page.set_input_files("input[name=file]", str(right))
    admin.click_button("导入")
    admin.expect_text("已导入", "客户档案 1", "联系人 1")
    customer = (
        demo_db.session.query(Customer).filter_by(name="衢州江山再生纸品有限公司").one()
    )
    assert customer.contacts[0].phone == "13705701234"
