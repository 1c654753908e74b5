from __future__ import annotations

import json
from datetime import datetime, timezone

from peewee import DateTimeField, Model, TextField

from core.db import db


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class JSONField(TextField):
    """JSON stored as text: portable across SQLite and PostgreSQL."""

    def db_value(self, value: object) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def python_value(self, value: str | None) -> object:
        return None if value is None else json.loads(value)


class UTCDateTimeField(DateTimeField):
    """Naive UTC in the database, aware UTC in Python."""

    def db_value(self, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: object) -> datetime | None:
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value
