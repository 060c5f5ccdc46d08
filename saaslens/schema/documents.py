"""Parsed and validated documents, kept for the next request that sends the same.

Both caches key on everything their step depends on: the parser's on the
text and the parse options (QueryLimits' token limit), the validator's on
the schema, the document's syntax tree and the tuple of rules in force.
Both are bounded, so a client sending endless variations cannot grow them.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache

# Distinct documents kept; dashboards send a few dozen.
DOCUMENT_CACHE_SIZE = 512


class ParsedDocuments(ParserCache):
    def __init__(self) -> None:
        super().__init__(maxsize=DOCUMENT_CACHE_SIZE)

    def on_parse(self) -> Iterator[None]:
        """Parse through the cache; leave a document that fails to Strawberry.

        An error raised here would escape the operation's extensions, which
        give it its code; Strawberry parses the document again where they see it.
        """
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield


class ValidatedDocuments(ValidationCache):
    def __init__(self) -> None:
        super().__init__(maxsize=DOCUMENT_CACHE_SIZE)
