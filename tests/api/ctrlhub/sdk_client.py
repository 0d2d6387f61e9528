"""The requests ctrl-hub's TypeScript SDK (``ctrl-hub/sdk.ts``) sends, as it builds them.

Each function mirrors one SDK call (``Client.getToken``, ``makeGetRequest`` and the
``RequestOptions`` query string) so that a test sends what the SDK puts on the wire: its
own headers (a ``Content-Type: application/json`` even on a GET, ``Authorization: Bearer``
once it holds a token) plus what Node's fetch adds by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

# What undici (Node's fetch) adds to every request it sends.
FETCH_DEFAULTS = {
    "accept": "*/*",
    "accept-language": "*",
    "sec-fetch-mode": "cors",
    "user-agent": "node",
    "accept-encoding": "gzip, deflate",
}


@dataclass
class SdkClient:
    """``new Client({organisationId, baseDomain, clientId, clientSecret, authDomain})``."""

    http: httpx.AsyncClient
    organisation_id: str
    client_id: str = ""
    client_secret: str = ""
    bearer_token: str = ""
    token_response: httpx.Response | None = field(default=None, repr=False)

    async def get_token(self) -> httpx.Response:
        """``Client.getToken``: the form it posts to ``{authDomain}/oauth2/token``."""
        body = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        )
        response = await self.http.post(
            "/oauth2/token",
            headers={
                **FETCH_DEFAULTS,
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            },
            content=body.encode(),
        )
        # The SDK keeps access_token when the answer has one, whatever the status.
        token = response.json().get("access_token")
        if token:
            self.bearer_token = token
        self.token_response = response
        return response

    def _headers(self) -> dict[str, str]:
        headers = {**FETCH_DEFAULTS, "Content-Type": "application/json"}
        if self.bearer_token:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
        return headers

    async def get(self, endpoint: str, options: dict[str, object] | None = None) -> httpx.Response:
        """``makeGetRequest``: ``:orgId`` substituted, ``RequestOptions`` as the query."""
        url = endpoint.replace(":orgId", self.organisation_id)
        query = request_options(options or {})
        return await self.http.get(url + (f"?{query}" if query else ""), headers=self._headers())

    async def roles(self) -> httpx.Response:
        """``client.roles().get()`` (RolesService)."""
        return await self.get("/v3/iam/roles")

    async def organisation_members(
        self, options: dict[str, object] | None = None
    ) -> httpx.Response:
        """``client.organisationMembers().get(options)`` (OrganisationMembersService)."""
        return await self.get("/v3/orgs/:orgId/iam/members", options)

    async def groups(self, options: dict[str, object] | None = None) -> httpx.Response:
        """``client.groups().get(options)`` (GroupsService, a BaseService list)."""
        return await self.get("/v3/orgs/:orgId/iam/groups", options)


def request_options(options: dict[str, object]) -> str:
    """``RequestOptions.toURLSearchParams``: sort, filters, include, then limit and offset;
    a zero limit or offset is left out, as the SDK's truthiness checks do."""
    params: list[tuple[str, str]] = []
    sort = options.get("sort")
    if isinstance(sort, list) and sort:
        keys = [("-" if s.get("direction") == "desc" else "") + s["key"] for s in sort]
        params.append(("sort", ",".join(keys)))
    filters = options.get("filters")
    if isinstance(filters, list):
        params.extend((f"filter[{f['key']}]", f["value"]) for f in filters)
    include = options.get("include")
    if isinstance(include, list) and include:
        params.append(("include", ",".join(include)))
    for key in ("limit", "offset"):
        value = options.get(key)
        if value:
            params.append((key, str(value)))
    return urlencode(params)
