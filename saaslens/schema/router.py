"""The GraphQL endpoint: sockets that authenticate in connection_init, a time
limit on each operation, and the operation's count and latency for /metrics.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import Response, status
from graphql import GraphQLError
from sqlalchemy.exc import SQLAlchemyError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from saaslens.data.faults import database_fault
from saaslens.errors import DatabaseUnavailable, ErrorCode
from saaslens.monitoring import Monitoring
from saaslens.schema.context import Context
from saaslens.schema.credentials import connection_init_credential

logger = logging.getLogger(__name__)

# WebSocket's "Try Again Later": graphql-ws clients reconnect after it, where
# 1011 and the protocol's own 4500 make them give up for good.
TRY_AGAIN_LATER = 1013


def encode(data: object) -> bytes:
    """JSON as the standard encoder writes it compactly, made by orjson.

    orjson is several times faster, which counts on pages of thousands of
    rows. It refuses integers beyond 64 bits, which a customer's free-form
    attributes may hold; those few answers take the standard encoder.
    """
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


class GraphQLTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws as Strawberry speaks it, and a clear close for a store fault.

    A store that fails while connection_init is checked closes the socket
    with 1013 and, as the reason, the words an HTTP request would get.
    """

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except (SQLAlchemyError, DatabaseUnavailable) as error:
            fault = database_fault(error)
            if fault is None:
                raise
            logger.warning("database fault at connection_init: %s", error.__cause__ or error)
            await self.websocket.close(code=TRY_AGAIN_LATER, reason=fault.message)


class GraphQLEndpoint(GraphQLRouter[Context, None]):
    graphql_transport_ws_handler_class = GraphQLTransportWS

    def __init__(
        self, *args: Any, timeout_seconds: float, monitoring: Monitoring, **options: Any
    ) -> None:
        super().__init__(*args, **options)
        self.timeout_seconds = timeout_seconds
        self.monitoring = monitoring

    def encode_json(self, data: object) -> str:
        # Socket messages must be text frames, which graphql-transport-ws requires.
        return encode(data).decode()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The HTTP answer, its body encoded once, straight to bytes."""
        response = Response(
            encode(response_data),
            media_type="application/json",
            status_code=sub_response.status_code or status.HTTP_200_OK,
        )
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Take a token from the connection_init payload over the handshake's cookie.

        A token that is sent but stands for nobody closes the socket (4403),
        so a client learns at once rather than at its first subscription; a
        store that cannot check it closes the socket with 1013.
        """
        credential = connection_init_credential(context.connection_params)
        if credential is not None and await context.authenticate(credential) is None:
            raise ConnectionRejectionError({"message": "the token is not valid or has expired"})
        return UnsetType()

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Answer one operation within the time limit; past it, a TIMEOUT error.

        Work already handed to a thread (a model fit, say) runs on to its end
        unobserved; the limit frees the client and the request's connections.
        """
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_seconds):
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
        except TimeoutError:
            outcome = "timeout"
            result = self._timed_out(context)
        else:
            outcome = "error" if result.errors else "ok"
        name = context.operation_name or request_data.operation_name
        self.monitoring.observe(name, outcome, time.perf_counter() - started)
        return result

    def _timed_out(self, context: Context) -> ExecutionResult:
        logger.warning(
            "operation %s stopped after %g s", context.operation_name, self.timeout_seconds
        )
        error = GraphQLError(
            f"The operation took longer than the {self.timeout_seconds:g} s allowed and "
            f"was stopped; ask for less (a shorter range, a smaller page) or try later.",
            extensions={"code": ErrorCode.TIMEOUT.value, "seconds": self.timeout_seconds},
        )
        return ExecutionResult(data=None, errors=[error])


class OperationNaming(SchemaExtension):
    """Tells the context which operation a parsed document runs, to label its metrics."""

    def on_parse(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        if execution.graphql_document is not None:
            execution.context.operation_name = execution.operation_name
