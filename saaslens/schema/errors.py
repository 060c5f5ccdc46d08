"""Errors as the client sees them: a stable code, and nothing internal.

A UserFacingError keeps its message and gains `extensions.code`; so do a
fault of the store itself and text the store cannot hold (see
saaslens.data.faults). Anything else is logged with the request id and
replaced by a masked INTERNAL error naming that id, so an operator can find
the trace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext, ExecutionResult, StreamExecutionResult

from saaslens.data.faults import database_fault, unstorable_text
from saaslens.errors import ErrorCode, UserFacingError
from saaslens.logs import request_id

logger = logging.getLogger(__name__)


def shape_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None:
        # Syntax and validation errors describe the document the client sent.
        code = (error.extensions or {}).get("code", ErrorCode.BAD_USER_INPUT.value)
        return _with_extensions(error, error.message, {"code": code})
    if isinstance(original, GraphQLError) and original.original_error is None:
        return shape_error(original)
    if not isinstance(original, UserFacingError):
        fault = database_fault(original)
        if fault is not None:
            logger.warning("database fault in %s: %s", error.path, original)
            original = fault
        else:
            original = unstorable_text(original) or original
    if isinstance(original, UserFacingError):
        return _with_extensions(
            error, original.message, {"code": original.code.value, **original.details}
        )
    logger.error("unexpected error in %s", error.path, exc_info=original)
    message = f"Internal error; quote request id {request_id.get()} to an operator"
    return _with_extensions(
        error, message, {"code": ErrorCode.INTERNAL.value, "requestId": request_id.get()}
    )


def _with_extensions(
    error: GraphQLError, message: str, extensions: dict[str, object]
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), **extensions},
    )


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log errors as Strawberry does, except user-facing ones and store faults.

        A refused credential, a bad argument or a document that does not
        validate is an answer to the client, not a fault; logging each with
        its traceback would bury the faults. A store fault gets one warning
        line when it is shaped instead.
        """
        faults = [
            error
            for error in errors
            if error.original_error is not None and not _told_to_client(error.original_error)
        ]
        super().process_errors(faults, execution_context)


def _told_to_client(error: BaseException | None) -> bool:
    return isinstance(error, UserFacingError) or (
        error is not None
        and (database_fault(error) is not None or unstorable_text(error) is not None)
    )


class ErrorShaping(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [shape_error(error) for error in result.errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # A subscription sends each result before on_operation resumes, so
        # its errors are shaped here, one result at a time.
        if isinstance(result, ExecutionResult) and result.errors:
            result.errors = [shape_error(error) for error in result.errors]
        yield
