"""Texts of Flask-AppBuilder's own screens that its Chinese catalog lacks (or
words badly), listed here so that our catalog (messages.po) translates them:
our catalog is merged over FAB's, so an entry here wins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FAB_STRINGS = (
    # Row buttons of every list (screen-reader labels and tooltips).
    _l("Add"),
    _l("Edit"),
    _l("Delete"),
    # Delete confirmation dialog (app/templates/appbuilder/general/confirm.html).
    _l("Cancel"),
    _l("OK"),
    # Filter operators.
    _l("In"),
    _l("Not In"),
    _l("Starts with"),
    _l("Ends with"),
)
