"""ETag / If-Match, Idempotency-Key and ?dryRun=true on endpoint A and its GET."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.rbac import guards
from rolegate.rbac.models import IdempotencyKey
from tests.api.infisical.conftest import ADMIN, WORLD
from tests.conftest import bearer, infisical_token, seed_into
from tests.reliability.conftest import URL, Tokens, audit_count

VIEWER_BODY = {"roles": [{"role": "viewer"}]}
ADMIN_BODY = {"roles": [{"role": "admin"}]}


async def etag_of_get(client: httpx.AsyncClient, token: str) -> str:
    response = await client.get(URL, headers=bearer(token))
    assert response.status_code == 200
    return response.headers["etag"]


# --- ETag / If-Match -----------------------------------------------------------------


async def expire_idempotency_key(session: AsyncSession, key: str) -> None:
    """Move a stored key's expiry an hour into the past, as if its 24 h had gone by."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key)
        .values(expires_at=func.now() - func.make_interval(0, 0, 0, 0, 1))
    )
    await session.commit()


async def test_patch_returns_the_etag_its_next_get_shows(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    before = await etag_of_get(client, tokens.admin)
    assert before.startswith('"') and before.endswith('"') and not before.startswith("W/")

    patched = await client.patch(
        URL, json=VIEWER_BODY, headers={**bearer(tokens.admin), "If-Match": before}
    )

    assert patched.status_code == 200, patched.text
    after = await etag_of_get(client, tokens.admin)
    assert patched.headers["etag"] == after != before


async def test_get_etag_is_stable_while_nothing_changes(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert await etag_of_get(client, tokens.admin) == await etag_of_get(client, tokens.viewer)


async def test_stale_if_match_is_412_in_the_envelope_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    stale = await etag_of_get(client, tokens.admin)
    assert (await client.patch(URL, json=VIEWER_BODY, headers=bearer(tokens.admin))).is_success

    refused = await client.patch(
        URL, json=ADMIN_BODY, headers={**bearer(tokens.admin), "If-Match": stale}
    )

    assert refused.status_code == 412
    body = refused.json()
    assert body["statusCode"] == 412 and body["error"] == "PreconditionFailed"
    assert body["reqId"] == refused.headers["x-request-id"]
    assert await read_roles() == ["viewer"]


@pytest.mark.parametrize(
    ("header", "status"),
    [("*", 200), ('"nope", {current}', 200), ("W/{current}", 412), ('"nope"', 412)],
)
async def test_if_match_star_lists_and_weak_tags(
    client: httpx.AsyncClient, tokens: Tokens, header: str, status: int
) -> None:
    current = await etag_of_get(client, tokens.admin)
    response = await client.patch(
        URL,
        json=VIEWER_BODY,
        headers={**bearer(tokens.admin), "If-Match": header.format(current=current)},
    )
    assert response.status_code == status, response.text


async def test_if_match_is_ignored_when_the_request_would_fail_anyway(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    # RFC 9110 13.2.1: a request that fails without its precondition reports that failure.
    response = await client.patch(
        URL,
        json={"roles": [{"role": "no-such-role"}]},
        headers={**bearer(tokens.admin), "If-Match": '"stale"'},
    )
    assert response.status_code == 404
    assert await read_roles() == ["member"]


@pytest.mark.committed
async def test_concurrent_patches_with_one_if_match_let_exactly_one_through(
    committed: dict[str, Any], settings: Settings
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    client: httpx.AsyncClient = committed["client"]
    etag = await etag_of_get(client, token)
    bodies = [{"roles": [{"role": r}]} for r in ("admin", "viewer", "no-access", "member")] * 2

    responses = await asyncio.gather(
        *(client.patch(URL, json=b, headers={**bearer(token), "If-Match": etag}) for b in bodies)
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * (len(bodies) - 1), [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.headers["etag"] == await etag_of_get(client, token)


# --- Idempotency-Key -----------------------------------------------------------------


async def test_same_idempotency_key_replays_the_first_response_and_writes_once(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    headers = {**bearer(tokens.admin), "Idempotency-Key": "key-1"}
    audits = await audit_count(session)

    first = await client.patch(URL, json=VIEWER_BODY, headers=headers)
    again = await client.patch(URL, json=VIEWER_BODY, headers=headers)

    assert first.status_code == again.status_code == 200
    assert again.content == first.content  # same row ids, same timestamps: a replay
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    assert "idempotent-replayed" not in first.headers
    assert await audit_count(session) == audits + 1


async def test_same_idempotency_key_with_another_body_is_422_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    headers = {**bearer(tokens.admin), "Idempotency-Key": "key-2"}
    assert (await client.patch(URL, json=VIEWER_BODY, headers=headers)).status_code == 200

    other = await client.patch(URL, json=ADMIN_BODY, headers=headers)

    assert other.status_code == 422
    assert other.json()["statusCode"] == 422 and "Idempotency-Key" in other.json()["message"]
    assert await read_roles() == ["viewer"]


async def test_idempotency_keys_belong_to_one_credential(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    assert (
        await client.patch(
            URL, json=VIEWER_BODY, headers={**bearer(tokens.admin), "Idempotency-Key": "shared"}
        )
    ).status_code == 200

    # Another credential with the same key is a different request, not a replay.
    other = await client.patch(
        URL, json=ADMIN_BODY, headers={**bearer(tokens.outsider), "Idempotency-Key": "shared"}
    )

    assert other.status_code == 404  # the outsider cannot see this project at all
    assert "idempotent-replayed" not in other.headers
    assert await read_roles() == ["viewer"]


async def test_a_refused_request_does_not_use_up_its_idempotency_key(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    headers = {**bearer(tokens.admin), "Idempotency-Key": "retry-me"}
    refused = await client.patch(URL, json={"roles": [{"role": "nope"}]}, headers=headers)
    assert refused.status_code == 404

    fixed = await client.patch(URL, json=VIEWER_BODY, headers=headers)

    assert fixed.status_code == 200 and "idempotent-replayed" not in fixed.headers
    assert await read_roles() == ["viewer"]


async def test_an_expired_idempotency_key_can_be_used_again(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, read_roles: Any
) -> None:
    headers = {**bearer(tokens.admin), "Idempotency-Key": "old"}
    assert (await client.patch(URL, json=VIEWER_BODY, headers=headers)).status_code == 200
    await expire_idempotency_key(session, "old")

    reused = await client.patch(URL, json=ADMIN_BODY, headers=headers)

    assert reused.status_code == 200 and "idempotent-replayed" not in reused.headers
    assert await read_roles() == ["admin"]


async def test_idempotency_key_longer_than_255_is_422(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        URL, json=VIEWER_BODY, headers={**bearer(tokens.admin), "Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 422
    assert response.json()["message"][0]["path"] == ["header", "Idempotency-Key"]


async def test_invalid_safe_update_parameters_are_one_422_in_fastapis_order(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    # SafeWrite reads them from the request; the issues are those FastAPI gave when they
    # were declared parameters: the query parameter first, then the headers in order.
    response = await client.patch(
        URL + "?dryRun=maybe",
        json=VIEWER_BODY,
        headers={**bearer(tokens.admin), "If-Match": "x" * 1025, "Idempotency-Key": ""},
    )
    assert response.status_code == 422
    assert response.json()["message"] == [
        {
            "code": "invalid_type",
            "message": "Input should be a valid boolean, unable to interpret input",
            "path": ["query", "dryRun"],
        },
        {
            "code": "too_big",
            "message": "String should have at most 1024 characters",
            "path": ["header", "If-Match"],
        },
        {
            "code": "too_small",
            "message": "String should have at least 1 character",
            "path": ["header", "Idempotency-Key"],
        },
    ]
    assert await read_roles() == ["member"]


# --- dry run -------------------------------------------------------------------------


async def test_dry_run_returns_the_would_be_result_and_writes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, read_roles: Any
) -> None:
    etag = await etag_of_get(client, tokens.admin)
    audits = await audit_count(session)

    response = await client.patch(
        URL + "?dryRun=true",
        json={"roles": [{"role": "viewer"}, {"role": "secret-reader"}]},
        headers={**bearer(tokens.admin), "Idempotency-Key": "dry"},
    )

    assert response.status_code == 200, response.text
    assert [r["role"] for r in response.json()["roles"]] == ["viewer", "custom"]
    assert "etag" not in response.headers  # no such state exists
    assert await read_roles() == ["member"]
    assert await etag_of_get(client, tokens.admin) == etag
    assert await audit_count(session) == audits
    stored = await session.execute(select(func.count()).select_from(IdempotencyKey))
    assert stored.scalar_one() == 0


async def test_dry_run_checks_permissions_like_the_real_request(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    response = await client.patch(
        URL + "?dryRun=true", json=ADMIN_BODY, headers=bearer(tokens.viewer)
    )
    assert response.status_code == 403
    assert await read_roles() == ["member"]


async def test_dry_run_value_that_is_not_a_boolean_is_422(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    response = await client.patch(
        URL + "?dryRun=perhaps", json=VIEWER_BODY, headers=bearer(tokens.admin)
    )
    assert response.status_code == 422
    assert await read_roles() == ["member"]


async def test_expired_idempotency_keys_are_deleted_now_and_then(
    client: httpx.AsyncClient,
    tokens: Tokens,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = {**bearer(tokens.admin), "Idempotency-Key": "stale"}
    assert (await client.patch(URL, json=VIEWER_BODY, headers=headers)).status_code == 200
    await expire_idempotency_key(session, "stale")
    # The next claim is the one that prunes.
    monkeypatch.setattr(guards, "_claims", itertools.count(guards._PRUNE_EVERY))

    fresh = {**bearer(tokens.admin), "Idempotency-Key": "fresh"}
    assert (await client.patch(URL, json=ADMIN_BODY, headers=fresh)).status_code == 200

    keys = await session.scalars(
        select(IdempotencyKey.key).execution_options(populate_existing=True)
    )
    assert sorted(keys) == ["fresh"]
