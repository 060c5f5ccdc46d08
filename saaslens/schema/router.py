"""The GraphQL endpoint, with sockets that authenticate in connection_init."""

from __future__ import annotations

import json

import orjson
from fastapi import Response, status
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.unset import UnsetType

from saaslens.schema.context import Context
from saaslens.schema.credentials import connection_init_credential


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


class GraphQLEndpoint(GraphQLRouter[Context, None]):
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
        so a client learns at once rather than at its first subscription.
        """
        credential = connection_init_credential(context.connection_params)
        if credential is not None and await context.authenticate(credential) is None:
            raise ConnectionRejectionError({"message": "the token is not valid or has expired"})
        return UnsetType()
