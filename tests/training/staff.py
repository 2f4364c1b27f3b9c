"""A new member of staff, as the user admin screen creates one."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.extensions import db
from app.models import AppUser, Department
from app.services.training.clearance import flag_new_staff
from tests.conftest import PASSWORD


def new_staff(
    username: str, department: str = "cs", role: str = "CustomerService"
) -> AppUser:
    """Created not cleared for duty (the setting is on by default)."""
    sm: Any = current_app.appbuilder.sm
    sm.add_user(
        username=username,
        first_name="小明",
        last_name="王",
        email=f"{username}@example.com",
        role=sm.find_role(role),
        password=PASSWORD,
    )
    person = db.session.query(AppUser).filter_by(username=username).one()
    person.department = db.session.query(Department).filter_by(code=department).one()
    flag_new_staff(person)
    db.session.commit()
    return person
