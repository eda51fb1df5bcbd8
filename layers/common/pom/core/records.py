"""What the service stores (POs, invoices and their matches, the settings) as plain records.

It was validated once, on its way in (the pydantic models of ``pom.domain.inputs`` and
``pom.domain.requests``, in the functions that read documents and requests); reading it back needs
only its types. A record reads a document (an item, a stream image, stored JSON) by its fields'
annotations: numbers become ``int`` or ``Decimal`` as the field says (DynamoDB gives every number as
a Decimal), nested records become records, lists and dicts are copied, attributes it does not name
are ignored. So the matcher, the
notifier and the scheduler, which read nothing else, never import pydantic, whose import and first
model cost about 0.4x ``import boto3`` of their cold start (README, Cold start).
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Self

Reader = Callable[[Any], Any]


class _Required:
    """The default of a field without one."""


@typing.dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
class Record:
    """A stored entity: each annotation of a subclass (but a ``ClassVar``) is a field, keyword-only,
    with the default its class body gives (``dataclasses.field(default_factory=...)`` for a list or a
    dict), read-only (``replace`` makes a changed copy) and compared by value. The constructor takes
    values as given (the callers pass records and copies); ``from_document`` reads and copies. Like a
    frozen data class, but defining one generates no code: a frozen data class costs about 1.2 ms of
    import, this about 0.05."""

    _fields: ClassVar[dict[str, Any]] = {}  # {name: default, a factory or _Required}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        fields: dict[str, Any] = {}
        for base in reversed(cls.__bases__):
            fields.update(getattr(base, "_fields", {}))
        for name, annotation in inspect.get_annotations(cls).items():
            if _is_class_variable(annotation):
                continue
            default = cls.__dict__.get(name, _Required)
            if isinstance(default, dataclasses.Field):
                delattr(cls, name)
                default = _field_default(default)
            fields[name] = default
        cls._fields = fields

    def __init__(self, **values: Any) -> None:
        state = {}
        for name, default in self._fields.items():
            if name in values:
                state[name] = values.pop(name)
            elif default is _Required:
                raise TypeError(f"{type(self).__name__}() needs {name}")
            else:
                state[name] = _default_value(default)
        if values:
            raise TypeError(f"{type(self).__name__}() has no field {', '.join(values)}")
        self.__dict__.update(state)

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"{type(self).__name__}.{name}: a record is read-only, see replace()")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"{type(self).__name__}.{name}: a record is read-only")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]  # fields hold lists and dicts

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{name}={value!r}' for name, value in self.__dict__.items())})"

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The record of a stored document (or the record itself); a field it lacks takes its default."""
        if isinstance(document, cls):
            return document
        readers = _READERS.get(cls) or _readers_of(cls)
        return cls(**{name: read(document[name]) for name, read in readers.items() if name in document})

    def replace(self, **changes: Any) -> Self:
        return type(self)(**{**self.__dict__, **changes})

    def to_document(
        self, *, exclude_defaults: bool = False, exclude: frozenset[str] = frozenset(), text_decimals: bool = False
    ) -> dict[str, Any]:
        """The record as a document of dicts and lists (new ones: changing it changes no record).
        ``exclude_defaults``: fields at their default are left out, nested records' too;
        ``text_decimals``: Decimals written as their text (``"10.00"``), as JSON shows them."""
        document = {}
        for name, default in self._fields.items():
            value = self.__dict__[name]
            if name in exclude or (exclude_defaults and value == _default_value(default)):
                continue
            document[name] = _plain(value, exclude_defaults, text_decimals)
        return document


def _is_class_variable(annotation: Any) -> bool:
    if isinstance(annotation, str):  # postponed: the annotation's text
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


def _field_default(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return _Factory(field.default_factory)
    return _Required if field.default is dataclasses.MISSING else field.default


class _Factory:
    """A field's default made anew for each record (a list, a dict, a nested record)."""

    def __init__(self, make: Callable[[], Any]):
        self.make = make


def _default_value(default: Any) -> Any:
    """A field's default value: made anew when it is a factory's."""
    return default.make() if isinstance(default, _Factory) else default


_LEAVES = frozenset({str, int, bool, type(None)})


def _plain(value: Any, exclude_defaults: bool, text_decimals: bool) -> Any:
    if type(value) in _LEAVES:  # most values: returned before the checks below
        return value
    if isinstance(value, Record):
        return value.to_document(exclude_defaults=exclude_defaults, text_decimals=text_decimals)
    if isinstance(value, dict):
        return {key: _plain(item, exclude_defaults, text_decimals) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, exclude_defaults, text_decimals) for item in value]
    if text_decimals and isinstance(value, Decimal):
        return str(value)
    return value


# --- reading by annotation ------------------------------------------------------------------------------

_READERS: dict[type, dict[str, Reader]] = {}


def _readers_of(cls: type[Record]) -> dict[str, Reader]:
    """{field: how its stored value is read}, from the class's annotations (resolved on first use)."""
    hints = typing.get_type_hints(cls)
    readers = {name: _reader(hints[name]) for name in cls._fields}
    _READERS[cls] = readers
    return readers


def _as_stored(value: Any) -> Any:
    return value


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _whole(value: Any) -> int:
    """An int field (a version, a count): a stored number with a fraction is refused, never truncated."""
    number = Decimal(value) if isinstance(value, str) else value
    whole = int(number)
    if whole != number:
        raise ValueError(f"{value!r} is not a whole number")
    return whole


def _shallow_copy(value: Any) -> Any:
    return type(value)(value) if isinstance(value, dict | list) else value


def _optional(arguments: tuple[Any, ...]) -> Reader:
    present = [argument for argument in arguments if argument is not type(None)]
    if len(present) != 1:  # a choice of shapes (``dict | str``): kept as stored, a container copied
        return _shallow_copy
    inner = _reader(present[0])
    return lambda value: None if value is None else inner(value)


def _list_of(arguments: tuple[Any, ...]) -> Reader:
    element = _reader(arguments[0])
    return lambda value: [element(item) for item in value]


def _dict_of(arguments: tuple[Any, ...]) -> Reader:
    element = _reader(arguments[1])
    return lambda value: {key: element(item) for key, item in value.items()}


_SCALARS: dict[Any, Reader] = {int: _whole, Decimal: _decimal}
_CONTAINERS: dict[Any, Callable[[tuple[Any, ...]], Reader]] = {
    types.UnionType: _optional,
    typing.Union: _optional,
    list: _list_of,
    dict: _dict_of,
}


def _reader(hint: Any) -> Reader:
    """How a stored value of the type ``hint`` is read: str, bool, Any and Literal ones as stored."""
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_document
    if hint in _SCALARS:
        return _SCALARS[hint]
    container = _CONTAINERS.get(typing.get_origin(hint))
    return _as_stored if container is None else container(typing.get_args(hint))
