"""Stored entities as plain records (pom.core.records): read back by their annotations, written as
documents, read-only, compared by value."""

from __future__ import annotations

import copy
from dataclasses import FrozenInstanceError, field
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from pom.core.records import Record
from pom.core.records import _readers_of as readers_of
from pom.domain import invoices, models, purchase_orders
from pom.domain.models import Settings


class Line(Record):
    number: int
    amount: Decimal
    note: str | None = None


class Sheet(Record):
    name: str
    count: int = 0
    lines: list[Line] = field(default_factory=list)
    last: Line | None = None
    sums: dict[str, Decimal] = field(default_factory=dict)
    extra: dict[str, Any] | str | None = None


def test_a_document_is_read_by_the_fields_annotations():
    document = {
        "name": "s",
        "count": Decimal("3"),  # DynamoDB's number
        "lines": [{"number": Decimal(1), "amount": "10.00", "unknown": "ignored"}],
        "last": {"number": 2, "amount": Decimal("2.5")},
        "sums": {"2026-01": 4},
        "extra": {"kept": Decimal("1.0")},
        "attribute": "not a field",
    }
    sheet = Sheet.from_document(document)
    assert sheet == Sheet(
        name="s",
        count=3,
        lines=[Line(number=1, amount=Decimal("10.00"))],
        last=Line(number=2, amount=Decimal("2.5")),
        sums={"2026-01": Decimal(4)},
        extra={"kept": Decimal("1.0")},
    )
    assert type(sheet.count) is int
    assert type(sheet.lines[0].number) is int
    assert sheet.lines[0].amount.as_tuple() == Decimal("10.00").as_tuple()
    document["lines"].append({"number": 9, "amount": "1"})
    assert len(sheet.lines) == 1  # read into lists of its own
    assert Sheet.from_document(sheet) is sheet


def test_defaults_are_made_for_each_record_and_required_fields_are_required():
    first, second = Sheet(name="a"), Sheet(name="b")
    assert first.lines == []
    assert first.lines is not second.lines
    with pytest.raises(TypeError, match="needs name"):
        Sheet()
    with pytest.raises(TypeError, match="no field nmae"):
        Sheet(name="a", nmae="typo")


def test_a_record_is_read_only_and_replace_makes_a_changed_copy():
    sheet = Sheet(name="a", count=1)
    with pytest.raises(FrozenInstanceError):
        sheet.count = 2  # type: ignore[misc]
    changed = sheet.replace(count=2)
    assert (sheet.count, changed.count, changed.name) == (1, 2, "a")
    with pytest.raises(TypeError, match="no field"):
        sheet.replace(counts=2)
    assert copy.deepcopy(changed) == changed
    assert Line(number=1, amount=Decimal(1)) != Sheet(name="a")  # compared by type too


def test_a_document_is_written_new_and_may_leave_out_defaults_at_any_depth():
    sheet = Sheet(name="s", lines=[Line(number=1, amount=Decimal("1.50"))], extra={"nested": [Decimal(2)]})
    document = sheet.to_document()
    assert document == {
        "name": "s",
        "count": 0,
        "lines": [{"number": 1, "amount": Decimal("1.50"), "note": None}],
        "last": None,
        "sums": {},
        "extra": {"nested": [Decimal(2)]},
    }
    document["extra"]["nested"].append(3)
    assert sheet.extra == {"nested": [Decimal(2)]}
    assert sheet.to_document(exclude_defaults=True, exclude=frozenset({"extra"})) == {
        "name": "s",
        "lines": [{"number": 1, "amount": Decimal("1.50")}],
    }
    assert sheet.to_document(text_decimals=True)["lines"][0]["amount"] == "1.50"
    assert Sheet.from_document(sheet.to_document()) == sheet


def test_stored_settings_read_back_whole_and_take_the_defaults_of_fields_they_lack():
    stored = {"currency": "EUR", "matching": {"tolerancePercent": "5", "toleranceAmount": "20.00"}}
    settings = Settings.from_document(stored)
    assert (settings.currency, settings.matching.tolerancePercent) == ("EUR", Decimal(5))
    assert settings.matching.toleranceAmount == Decimal("20.00")
    assert settings.notifications == Settings().notifications
    assert Settings.from_document(settings.to_document(text_decimals=True)) == settings


def test_a_whole_number_field_refuses_a_fraction_rather_than_truncate_it():
    assert Line.from_document({"number": "7", "amount": "1"}).number == 7
    with pytest.raises(ValueError, match="not a whole number"):
        Line.from_document({"number": Decimal("1.9"), "amount": "1"})


def test_a_choice_of_shapes_is_kept_as_stored_but_copied():
    stored = {"name": "s", "extra": {"userId": "u"}}
    sheet = Sheet.from_document(stored)
    stored["extra"]["userId"] = "changed"
    assert sheet.extra == {"userId": "u"}


class Stamped(Record):
    KIND: ClassVar[str] = "stamped"  # not a field
    at: str = field(default="2026-01-01")


class Both(Stamped, Line):
    pass


def test_class_variables_are_not_fields_and_fields_come_from_every_base():
    assert Both(number=1, amount=Decimal(1)).to_document() == {
        "number": 1, "amount": Decimal(1), "note": None, "at": "2026-01-01",
    }  # fmt: skip
    assert Both.KIND == "stamped"


def test_every_stored_entity_reads_its_annotations():
    """Annotations resolve on a class's first read: each must name what its module defines at runtime."""
    entities = [
        value
        for module in (invoices, models, purchase_orders)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Record) and value.__module__ == module.__name__
    ]
    assert len(entities) == 12
    for entity in entities:
        assert set(readers_of(entity)) == set(entity._fields)
