"""The REST API's OpenAPI document says what the API takes and answers.

FAB (with apispec) writes a document that is invalid or untrue in places:
decimal bounds as strings ("0.00"), list `ids` and item `id` as strings,
`_info` fields as an object, error messages as strings only (validation
errors answer an object per field), references as anything, decimal values
as numbers (they are answered as strings, to keep their exact digits) and
optional references as never null. These functions correct the document in
place; `app.api.RecordApi` applies them to its parts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import fields
from marshmallow_sqlalchemy.fields import Related
from sqlalchemy import Float, Numeric
from sqlalchemy import inspect as sa_inspect

DECIMAL_TEXT = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
}
MESSAGE = {
    "oneOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": {"type": "array"}},
    ]
}


def numeric_bounds(node: Any) -> None:
    """Decimal strings under `minimum`/`maximum` become numbers."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("minimum", "maximum") and isinstance(value, (str, Decimal)):
                number = Decimal(value)
                integral = number == number.to_integral()
                node[key] = int(number) if integral else float(number)
            else:
                numeric_bounds(value)
    elif isinstance(node, list):
        for value in node:
            numeric_bounds(value)


def answered_schema(model: Any, schema: dict[str, Any]) -> None:
    """A read schema (`.get`, `.get_list`): decimals as text, optional
    references nullable."""
    mapper = sa_inspect(model)
    properties = schema.get("properties") or {}
    for name, prop in list(properties.items()):
        column = mapper.columns.get(name)
        if (
            column is not None
            and isinstance(column.type, Numeric)
            and not isinstance(column.type, Float)
        ):
            properties[name] = {**DECIMAL_TEXT, "nullable": bool(column.nullable)}
            continue
        relation = mapper.relationships.get(name)
        if relation is not None and "$ref" in prop:
            optional = all(c.nullable for c in relation.local_columns)
            if relation.direction.name == "MANYTOONE" and optional:
                properties[name] = {"nullable": True, "allOf": [{"$ref": prop["$ref"]}]}


def written_schema(schema_object: Any, schema: dict[str, Any]) -> None:
    """A write schema (`.post`, `.put`): a reference is a record's id."""
    properties = schema.get("properties") or {}
    for name, field in schema_object.fields.items():
        if isinstance(field, Related) and name in properties:
            properties[name] = {"type": "integer", "minimum": 1}
            if field.allow_none:
                properties[name]["nullable"] = True
        elif isinstance(field, fields.Decimal) and name in properties:
            properties[name].setdefault("type", "number")


def true_answers(operation: dict[str, Any]) -> None:
    """List `ids` and item `id` are integers; `_info` fields are lists."""
    for answer in (operation.get("responses") or {}).values():
        for content in (answer.get("content") or {}).values():
            properties = (content.get("schema") or {}).get("properties") or {}
            if "ids" in properties:
                properties["ids"]["items"] = {"type": "integer"}
            if properties.get("id", {}).get("type") == "string":
                properties["id"] = {**properties["id"], "type": "integer"}
            for name in ("add_columns", "edit_columns"):
                if properties.get(name) == {"type": "object"}:
                    properties[name] = {"type": "array", "items": {"type": "object"}}


def error_answers(responses: dict[str, Any]) -> None:
    """An error's `message` is a text, or the problems per field."""
    for answer in responses.values():
        for content in (answer.get("content") or {}).values():
            properties = (content.get("schema") or {}).get("properties") or {}
            if properties.get("message") == {"type": "string"}:
                properties["message"] = MESSAGE
