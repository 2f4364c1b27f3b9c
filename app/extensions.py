"""Unbound Flask extensions; a leaf module that imports nothing from the app."""

from __future__ import annotations

from flask_appbuilder.models.sqla import Base
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

# One metadata for FAB's ab_* tables and ours, so Alembic sees both.
db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
