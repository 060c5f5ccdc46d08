"""Execution that completes plain records without a resolver call per field.

A page of 10,000 customers is 70,000 leaf fields. graphql-core resolves each
through the full machinery: resolve info, the resolver, null checks and
completion, several microseconds apiece, which made such a page take over
a second. Most of those fields are attributes of a record and scalars or
enums; for an object whose selected fields are all of that kind this
context reads and serializes them in one loop. Anything else, and any
value that would raise an error, goes the standard way, so answers and
errors are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

# (response name, attribute, serializer, whether null is refused)
PlainField = tuple[str, str, Callable[[Any], Any], bool]


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
        key = id(grouped_field_set)
        if key not in self._plans:
            self._plans[key] = self._plan(parent_type, grouped_field_set)
        plan = self._plans[key]
        if plan is not None:
            completed = _complete(plan, source_value)
            if completed is not None:
                return completed
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[PlainField] | None:
        """How to read every selected field, or None when one needs the standard way."""
        # An extension that wraps resolvers must see every field resolved.
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None
        plan: list[PlainField] = []
        for response_name, details in grouped_field_set.items():
            name = details[0].node.name.value
            field = parent_type.fields.get(name)
            if field is None or any(detail.defer_usage is not None for detail in details):
                return None
            definition = field.extensions.get("strawberry-definition")
            if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
                return None
            if definition.default_resolver is not getattr:
                return None
            leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
                return None
            non_null = isinstance(field.type, GraphQLNonNull)
            plan.append((response_name, definition.python_name, leaf.serialize, non_null))
        return plan


def _complete(plan: list[PlainField], source: Any) -> dict[str, Any] | None:
    """The record's selected fields, or None if one would be an error."""
    completed: dict[str, Any] = {}
    try:
        for response_name, attribute, serialize, non_null in plan:
            value = getattr(source, attribute)
            if value is None:
                if non_null:
                    return None
                completed[response_name] = None
                continue
            serialized = serialize(value)
            if serialized is Undefined or serialized is None:
                return None
            completed[response_name] = serialized
    except Exception:
        return None
    return completed
