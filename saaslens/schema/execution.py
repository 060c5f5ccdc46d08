"""Execution that completes plain records without a resolver call per field.

A page of 10,000 customers is 90,000 fields. graphql-core resolves each
through the full machinery: resolve info, the resolver, null checks and
completion, several microseconds apiece, which made such a page take over
a second. Most of those fields are attributes of a record holding a scalar,
an enum or another such record; for an object whose selected fields are all
of that kind this context reads and serializes them in one loop. Anything
else, and any value that would raise an error, goes the standard way, so
answers and errors are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

# A value that would be an error in the standard completion.
_REFUSED = object()

Completion = Callable[[Any], Any]
# (response name, attribute, completion, whether null is refused)
PlainField = tuple[str, str, Completion, bool]


class PlainRecordExecution(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the field sets graphql-core memoizes for this operation,
        # so an id stays taken by its set while the operation runs.
        self._plans: dict[int, list[PlainField] | None] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plan(parent_type, grouped_field_set)
        if plan is not None:
            completed = _complete(plan, source_value)
            if completed is not _REFUSED:
                return completed  # type: ignore[no-any-return]
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[PlainField] | None:
        """How to read every selected field, or None when one needs the standard way."""
        key = id(grouped_field_set)
        if key not in self._plans:
            self._plans[key] = self._make_plan(parent_type, grouped_field_set)
        return self._plans[key]

    def _make_plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[PlainField] | None:
        # An extension that wraps resolvers must see every field resolved.
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None
        plan: list[PlainField] = []
        for response_name, details in grouped_field_set.items():
            field = parent_type.fields.get(details[0].node.name.value)
            if field is None or any(detail.defer_usage is not None for detail in details):
                return None
            definition = field.extensions.get("strawberry-definition")
            if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
                return None
            if definition.default_resolver is not getattr:
                return None
            non_null = isinstance(field.type, GraphQLNonNull)
            inner = field.type.of_type if non_null else field.type
            completion = self._completion(inner, details)
            if completion is None:
                return None
            plan.append((response_name, definition.python_name, completion, non_null))
        return plan

    def _completion(
        self, inner: GraphQLOutputType, details: FieldDetailsList
    ) -> Completion | None:
        """How to complete a field's value of type `inner`, if it is plain."""
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            return _leaf(inner.serialize)
        if not isinstance(inner, GraphQLObjectType) or inner.is_type_of is not None:
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(inner, details)
        if new_defer_usages:
            return None
        plan = self._plan(inner, grouped_field_set)
        if plan is None:
            return None
        return lambda value: _complete(plan, value)


def _leaf(serialize: Callable[[Any], Any]) -> Completion:
    def complete(value: Any) -> Any:
        serialized = serialize(value)
        return _REFUSED if serialized is Undefined or serialized is None else serialized

    return complete


def _complete(plan: list[PlainField], source: Any) -> Any:
    """The record's selected fields, or _REFUSED if one would be an error."""
    completed: dict[str, Any] = {}
    try:
        for response_name, attribute, completion, non_null in plan:
            value = getattr(source, attribute)
            if value is None:
                if non_null:
                    return _REFUSED
                completed[response_name] = None
                continue
            value = completion(value)
            if value is _REFUSED:
                return _REFUSED
            completed[response_name] = value
    except Exception:
        return _REFUSED
    return completed
