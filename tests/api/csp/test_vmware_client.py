"""VMware's own client (pyVMC) against rolegate: the token exchange and group members."""

from __future__ import annotations

import httpx

from tests.api.csp import vmware_client as pyvmc
from tests.api.csp.conftest import (
    API_TOKENS,
    DEV,
    ENGINEERING,
    MEMBER,
    ORG,
    assert_csp_error,
    csp,
    roles_url,
)


async def test_pyvmc_exchanges_the_api_token_from_the_query_with_an_empty_form_body(
    client: httpx.AsyncClient, world: None
) -> None:
    prepared = pyvmc.get_access_token(API_TOKENS["owner"])
    assert prepared.body is None and prepared.headers["Content-Length"] == "0"

    response = await pyvmc.send(client, prepared)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["refresh_token"] == API_TOKENS["owner"]
    # pyVMC keeps only access_token and sends it as csp-auth-token from then on.
    token = body["access_token"]
    assert (await client.get(roles_url(), headers=csp(token))).status_code == 200


async def test_pyvmc_unknown_api_token_in_the_query_is_400_invalid_grant(
    client: httpx.AsyncClient, world: None
) -> None:
    response = await pyvmc.send(client, pyvmc.get_access_token("not-a-real-token"))

    body = assert_csp_error(response, 400)
    assert body["errorCode"] == "INVALID_GRANT"


async def test_the_form_field_wins_over_the_query_when_both_are_sent(
    client: httpx.AsyncClient, world: None
) -> None:
    response = await client.post(
        pyvmc.AM + "/auth/api-tokens/authorize",
        params={"api_token": "not-a-real-token"},
        data={"api_token": API_TOKENS["owner"]},
    )

    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"] == API_TOKENS["owner"]


async def test_pyvmc_access_token_names_the_org_it_lists_groups_of(
    client: httpx.AsyncClient, world: None
) -> None:
    token = (await pyvmc.send(client, pyvmc.get_access_token(API_TOKENS["owner"]))).json()[
        "access_token"
    ]

    response = await pyvmc.send(client, pyvmc.get_csp_groups(ORG, token))

    assert response.status_code == 200, response.text
    assert {"results", "totalResults", "nextLink", "prevLink"} <= set(response.json())


async def _pyvmc_token(client: httpx.AsyncClient, key: str) -> str:
    response = await pyvmc.send(client, pyvmc.get_access_token(API_TOKENS[key]))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_pyvmc_lists_group_members_after_a_role_change(
    client: httpx.AsyncClient, world: None
) -> None:
    token = await _pyvmc_token(client, "owner")
    change = {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    assert (await client.patch(roles_url(), json=change, headers=csp(token))).status_code == 200

    response = await pyvmc.send(client, pyvmc.get_csp_users_group(ORG, token, ENGINEERING))

    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"results", "totalResults", "nextLink", "prevLink"}
    assert page["totalResults"] == 2 and page["nextLink"] is None and page["prevLink"] is None
    # Every field pyVMC's show-csp-group-members prints, for each member, by e-mail.
    assert [
        (u["username"], u["firstName"], u["lastName"], u["email"], u["userId"])
        for u in page["results"]
    ] == [
        ("dev@acme.test", "Dana", "Dev", "dev@acme.test", DEV),
        ("member@acme.test", None, None, "member@acme.test", MEMBER),
    ]
    assert page["results"][0]["domain"] == "acme.test"
    assert response.headers["etag"]
