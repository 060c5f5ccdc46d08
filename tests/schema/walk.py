"""Documents that call each root field of the schema with made-up arguments."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from strawberry.schema_directives import OneOf

from saaslens.schema import schema

SCALAR_LITERALS = {
    "Int": "1",
    "Float": "1.5",
    "Boolean": "false",
    "Long": "1",
    "JSON": "{}",
    "DateTime": '"2024-01-01T00:00:00+00:00"',
    "Date": '"2024-01-01"',
}


def literal(kind: GraphQLInputType) -> str:
    """A value of `kind` in GraphQL syntax, filling only what is required."""
    if isinstance(kind, GraphQLNonNull):
        return literal(kind.of_type)
    if isinstance(kind, GraphQLList):
        return f"[{literal(kind.of_type)}]"
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType) and is_one_of(kind):
        # A @oneOf input takes exactly one of its fields.
        name, field = next(iter(kind.fields.items()))
        return f"{{{name}: {literal(field.type)}}}"
    if isinstance(kind, GraphQLInputObjectType):
        fields = [
            f"{name}: {literal(field.type)}"
            for name, field in kind.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        ]
        return "{" + ", ".join(fields) + "}"
    assert isinstance(kind, GraphQLScalarType), kind
    return SCALAR_LITERALS.get(kind.name, '"x"')


def is_one_of(kind: GraphQLInputObjectType) -> bool:
    # Strawberry enforces @oneOf itself; graphql-core's own flag stays False.
    definition = (kind.extensions or {}).get("strawberry-definition")
    return any(isinstance(d, OneOf) for d in getattr(definition, "directives", ()))


def call(operation: str, name: str, field: GraphQLField) -> str:
    arguments = [
        f"{arg_name}: {literal(argument.type)}"
        for arg_name, argument in field.args.items()
        if isinstance(argument.type, GraphQLNonNull)
    ]
    call = f"{name}({', '.join(arguments)})" if arguments else name
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    return f"{operation} {{ {call}{selection} }}"


def root_fields(operation: str) -> dict[str, str]:
    """Each root field of `operation` with a document calling it."""
    roots: dict[str, GraphQLObjectType | None] = {
        "query": schema._schema.query_type,
        "mutation": schema._schema.mutation_type,
        "subscription": schema._schema.subscription_type,
    }
    root = roots[operation]
    if root is None:
        return {}
    return {name: call(operation, name, field) for name, field in root.fields.items()}
