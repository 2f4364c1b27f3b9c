"""List queries whose cost does not grow with the table.

FAB's list (screens and REST) counts the whole filtered set (`COUNT(*)` over a
subquery of every column) and loads each row's related records one query at
a time. `ListInterface` counts at most `COUNT_CAP` + 1 rows ("10,000+" on the
screen, `count` 10001 in the API: more than the cap) and loads the related
records a list shows in one query per relation.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import selectinload

COUNT_CAP = 10_000

# What a related row's label (its __repr__) reads: loaded with it.
LABEL_NEEDS = {
    "WeighLine": ("ticket", "material"),
    "PickupLine": ("pickup", "material", "grade"),
    "MaterialGrade": ("material",),
    # Key-account and grade marks (app.ui.base.customer_marked).
    "Customer": ("grade",),
}


class CappedCount(int):
    """A row count that stopped at the cap: shows as "10,000+"."""

    def __str__(self) -> str:
        return f"{COUNT_CAP:,}+"

    __html__ = __str__


class ListInterface(SQLAInterface):
    """SQLAInterface with a capped count and eager loading of shown relations."""

    # Many-to-one relations whose rows the list shows (set by the screen).
    eager: tuple[str, ...] = ()

    @classmethod
    def of(cls, given: SQLAInterface) -> ListInterface:
        if isinstance(given, cls):
            return given
        kind = type(given)
        if kind is not SQLAInterface:
            # A screen's own interface (its default order, say) is kept.
            kind = type(f"List{kind.__name__}", (cls, kind), {})
        else:
            kind = cls
        return kind(given.obj, given.session)

    # -- writes: a database refusal reaches the user as a clear message
    # (app.services.core.errors.database_refusal), never the database's text.
    def add(self, item: Any, commit: bool = True) -> None:
        self._refused(super().add, item, commit)

    def edit(self, item: Any, commit: bool = True) -> None:
        self._refused(super().edit, item, commit)

    def delete(self, item: Any, commit: bool = True) -> None:
        self._refused(super().delete, item, commit)

    def _refused(self, write: Any, item: Any, commit: bool) -> None:
        from flask import g, has_request_context

        from app.services.core.errors import database_refusal

        try:
            write(item, commit)
        except Exception as error:
            cause = error.__cause__ if isinstance(error, DatabaseException) else error
            refusal = database_refusal(cause) if cause is not None else None
            if refusal is None:
                raise
            self.session.rollback()
            if has_request_context():
                g.database_refusal = refusal  # the edit screen's message
            raise refusal from error

    def show_relations(self, columns: list[str] | None) -> None:
        """Load these columns' many-to-one relations with the page's rows."""
        relations = {
            rel.key
            for rel in sa_inspect(self.obj).relationships
            if rel.direction.name == "MANYTOONE"
        }
        shown = [c.split(".")[0] for c in (columns or [])]
        self.eager = tuple(dict.fromkeys(c for c in shown if c in relations))

    def query_count(
        self,
        query: Any,
        filters: Any = None,
        select_columns: list[str] | None = None,
    ) -> int:
        inner = self._apply_inner_all(
            query, filters, select_columns=None, aliases_mapping={}
        )
        pk = self.get_pk()
        limited = inner.with_entities(pk).order_by(None).limit(COUNT_CAP + 1)
        count = self.session.scalar(
            select(func.count()).select_from(limited.subquery())
        )
        count = int(count or 0)
        return CappedCount(count) if count > COUNT_CAP else count

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        if self.eager:
            query = query.options(*self._loads())
        return query

    def _loads(self) -> list[Any]:
        loads = []
        mapper = sa_inspect(self.obj)
        for key in self.eager:
            load = selectinload(getattr(self.obj, key))
            target = mapper.relationships[key].mapper.class_
            needs = LABEL_NEEDS.get(target.__name__, ())
            if needs:
                load = load.options(
                    *(selectinload(getattr(target, need)) for need in needs)
                )
            loads.append(load)
        return loads


# Arguments of FAB's list screens: page_<view>, psize_<view>, _flt_<n>_<column>.
def clean_list_arguments() -> None:
    """Before a screen reads its list arguments: drop those the database
    cannot take, cap the page size (app.services.core.list_arguments)."""
    from flask import request
    from werkzeug.datastructures import ImmutableMultiDict

    from app.services.core import list_arguments as rules

    if request.path.startswith("/api/") or not request.args:
        return
    kept = []
    changed = False
    for key, value in request.args.items(multi=True):
        cleaned: str | None = value
        if key.startswith("page_"):
            number = rules.page_number(value)
            cleaned = None if number is None else str(number)
        elif key.startswith("psize_"):
            size = rules.page_size(value)
            cleaned = None if size is None else str(size)
        elif key.startswith("_flt_"):
            too_big = value.strip().isdigit() and int(value) > rules.MAX_INTEGER
            if too_big or not rules.acceptable_value(value):
                cleaned = None
        if cleaned != value:
            changed = True
        if cleaned is not None:
            kept.append((key, cleaned))
    if changed:
        request.args = ImmutableMultiDict(kept)


def refuse_bad_bodies() -> Any:
    """A body no view can take answers 400 before any view reads it."""
    from flask import jsonify, request
    from flask_babel import gettext

    from app.services.core.list_arguments import body_problem

    problem = body_problem(request)
    if problem is None:
        return None
    if request.path.startswith("/api/"):
        return jsonify(message=problem), 400
    return gettext("The form holds characters that cannot be stored (NUL)."), 400


def register(app: Any) -> None:
    app.before_request(refuse_bad_bodies)
    app.before_request(clean_list_arguments)
