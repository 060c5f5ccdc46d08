"""Limits on what one GraphQL operation may ask for, checked before it runs.

Depth, aliases and cost are measured on the operation as it would execute:
a fragment counts as the fields it expands to wherever it is spread, so a
fragment with ten aliases spread ten times counts a hundred. Each fragment
is measured once for each page size and level it is spread at and the
figures reused, so measuring takes time in proportion to the document's
length however large the expansion.

The measures run after graphql-core's validation, which refuses cyclic
fragments (NoFragmentCycles) and unknown fields first; a document that
reaches them expands to a finite tree. The token limit acts earlier, in the
parser, so an oversized document costs no more than reading it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    type_from_ast,
    value_from_ast,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from saaslens.config import Settings
from saaslens.errors import ErrorCode

logger = logging.getLogger(__name__)

# How many items a list without a `first` argument is assumed to hold.
LIST_SIZE = 10
# Introspection's root fields, which no type of the schema lists.
META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


@dataclass(frozen=True, slots=True)
class Measure:
    """What a selection expands to: its deepest field, its aliases, its cost."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            max(self.depth, other.depth), self.aliases + other.aliases, self.cost + other.cost
        )


class Measurer:
    """Measures operations of one document under the variables sent with it.

    Cost is the most fields the answer can hold: each field counts once per
    item of every list around it. A list's size is the `first` argument of
    its connection, capped at the page size the API allows, or LIST_SIZE.
    Nothing below `deepest` levels is measured: the depth alone refuses such
    an operation, and measuring stays shallow however deep a document nests.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        page_cap: int,
        deepest: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.page_cap = page_cap
        self.deepest = deepest
        self._measured: dict[tuple[str, int | None, int], Measure] = {}

    def operation(self, operation: OperationDefinitionNode) -> Measure:
        root = self.schema.get_root_type(operation.operation)
        assert root is not None, "validation refuses operations the schema lacks"
        return self._selections(operation.selection_set, root, None, 1)

    def _selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        page: int | None,
        level: int,
    ) -> Measure:
        total = Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, page, level)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                narrowed = type_from_ast(self.schema, condition) if condition else parent
                total += self._selections(selection.selection_set, narrowed or parent, page, level)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, page, level)
        return total

    def _fragment(self, name: str, page: int | None, level: int) -> Measure:
        key = (name, page, level)
        if key not in self._measured:
            fragment = self.fragments[name]
            narrowed = type_from_ast(self.schema, fragment.type_condition)
            assert narrowed is not None, "validation refuses unknown type conditions"
            self._measured[key] = self._selections(fragment.selection_set, narrowed, page, level)
        return self._measured[key]

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType, page: int | None, level: int
    ) -> Measure:
        aliases = 1 if node.alias else 0
        if node.selection_set is None or level > self.deepest:
            return Measure(1, aliases, 1)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        name = node.name.value
        field = META_FIELDS.get(name) or parent.fields[name]
        own_page = self._page(node, field)
        if isinstance(get_nullable_type(field.type), GraphQLList):
            size, inner_page = own_page or page or LIST_SIZE, None
        else:
            size, inner_page = 1, own_page
        inner_type = get_named_type(field.type)
        inner = self._selections(node.selection_set, inner_type, inner_page, level + 1)
        return Measure(1 + inner.depth, aliases + inner.aliases, 1 + size * inner.cost)

    def _page(self, node: FieldNode, field: GraphQLField) -> int | None:
        """The page a connection field asks for, capped as its resolver caps it."""
        argument = field.args.get("first")
        if argument is None or get_named_type(argument.type) is not GraphQLInt:
            return None
        arguments = node.arguments or ()
        given = next((arg.value for arg in arguments if arg.name.value == "first"), None)
        first = (
            argument.default_value
            if given is None
            else value_from_ast(given, argument.type, self.variables)
        )
        if not isinstance(first, int):
            return self.page_cap
        return max(1, min(first, self.page_cap))


def refusals(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    settings: Settings,
) -> list[GraphQLError]:
    """An error for each limit the operation passes, naming the limit and its figure."""
    measurer = Measurer(
        schema, fragments, variables, settings.max_page_size, settings.max_query_depth
    )
    measure = measurer.operation(operation)
    checks = (
        ("depth", measure.depth, settings.max_query_depth, "levels deep"),
        ("aliases", measure.aliases, settings.max_aliases, "aliases, fragments expanded"),
        ("cost", measure.cost, settings.max_query_cost, "fields at most in its answer"),
    )
    over = [check for check in checks if check[1] > check[2]]
    for name, actual, limit, _ in over:
        logger.warning("operation refused: %s %d over the limit of %d", name, actual, limit)
    return [
        GraphQLError(
            f"The operation is over its {name} limit: {actual} {unit}, where {limit} are allowed.",
            nodes=[operation],
            extensions={
                "code": ErrorCode.BAD_USER_INPUT.value,
                "limit": name,
                "actual": actual,
                "maximum": limit,
            },
        )
        for name, actual, limit, unit in over
    ]


def _names_int(node: TypeNode) -> bool:
    """Whether a variable's declared type is Int or Int!."""
    if isinstance(node, NonNullTypeNode):
        node = node.type
    return isinstance(node, NamedTypeNode) and node.name.value == GraphQLInt.name


class QueryLimits(SchemaExtension):
    """Enforces the request's settings: tokens, introspection, depth, aliases and cost.

    It validates the document itself when no extension before it has (a
    validation cache must come before it), so the measures can run between
    validation and execution on every transport, subscriptions included.
    """

    def on_operation(self) -> Iterator[None]:
        settings = self._settings()
        self.execution_context.parse_options["max_tokens"] = settings.max_tokens
        if not settings.introspection_enabled:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        assert document is not None, "strawberry validates parsed documents only"
        if execution.pre_execution_errors is None:
            execution.pre_execution_errors = validate_document(
                execution.schema._schema, document, execution.validation_rules
            )
        if not execution.pre_execution_errors:
            execution.pre_execution_errors = self._refusals(document)
        yield

    def _refusals(self, document: DocumentNode) -> list[GraphQLError]:
        execution = self.execution_context
        schema = execution.schema._schema
        operation = get_operation_ast(document, execution.operation_name)
        if operation is None:
            return []  # execution refuses an unknown or ambiguous operation name
        # Only an Int variable can give a page size, so only those are coerced: an
        # ingestion batch's thousand records would otherwise be coerced twice.
        counts = [
            definition
            for definition in operation.variable_definitions or ()
            if _names_int(definition.type)
        ]
        variables = get_variable_values(schema, counts, execution.variables or {})
        if isinstance(variables, list):
            return []  # execution refuses variables that do not fit, naming each
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        return refusals(schema, operation, fragments, variables.coerced, self._settings())

    def _settings(self) -> Settings:
        settings: Settings = self.execution_context.context.settings
        return settings
