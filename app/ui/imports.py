"""The Excel import screen (admins): template, upload, progress, error report."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.extensions import db
from app.models.codes import TASK_STATUSES, label
from app.security.access import current_user
from app.services.core.errors import DomainError
from app.services.imports import importer, template


class ImportView(BaseView):
    """Import customers with contacts, price lists and calendar days."""

    route_base = "/imports"
    default_view = "index"
    class_permission_name = "DataImport"
    method_permission_name = {
        "index": "run",
        "template": "run",
        "upload": "run",
        "task": "run",
        "status": "run",
        "report": "run",
    }

    @expose("/")
    @has_access
    def index(self) -> Any:
        return self.render_template(
            "imports/index.html",
            tasks=importer.recent(current_user()),
            sheets=template.describe(),
            label=lambda code: label(TASK_STATUSES, code),
        )

    @expose("/template")
    @has_access
    def template(self) -> Any:
        import io

        buffer = io.BytesIO()
        template.template().save(buffer)
        buffer.seek(0)
        return send_file(
            buffer,
            as_attachment=True,
            download_name=template.filename(),
            mimetype=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        )

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self) -> Any:
        file = request.files.get("file")
        try:
            task = importer.accept(
                file.read() if file else b"",
                file.filename if file else "",
                current_user(),
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for("ImportView.index"))
        importer.start(task)
        return redirect(url_for("ImportView.task", task_id=task.id))

    @expose("/task/<int:task_id>")
    @has_access
    def task(self, task_id: int) -> Any:
        task = self._task(task_id)
        return self.render_template(
            "imports/task.html", task=task, state=importer.status(task)
        )

    @expose("/task/<int:task_id>/status")
    @has_access
    def status(self, task_id: int) -> Any:
        return jsonify(importer.status(self._task(task_id)))

    @expose("/report/<int:task_id>")
    @has_access
    def report(self, task_id: int) -> Any:
        task = self._task(task_id)
        path = importer.report_path(task)
        if path is None or not path.exists():
            abort(404)
        return send_file(
            path, as_attachment=True, download_name=f"import-{task.id}-errors.xlsx"
        )

    @staticmethod
    def _task(task_id: int) -> Any:
        try:
            return importer.task_for(task_id, current_user())
        except DomainError:
            abort(404)
