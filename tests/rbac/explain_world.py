"""A project whose principals reach rules in every way an explanation has to name.

Relative to ``now`` (the moment the test takes):
- identity deploy-bot: direct ``viewer`` (permanent); additional privilege ``hotfix``
  (edit + read prod secrets) that started an hour ago and ends in an hour; direct
  ``member`` that starts in an hour and lasts a day; additional privilege
  ``no-prod-reads`` denying read on prod secrets.
- user dana@acme.test: direct ``viewer``; through group Engineering: ``member`` and the
  custom role ``prod-guard`` (deny delete on prod secrets). Only users are group members.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

ORG = "00000000-0000-4000-8000-00000000e001"
OTHER_ORG = "00000000-0000-4000-8000-00000000e002"
PROJECT = "00000000-0000-4000-8000-00000000e401"
OTHER_PROJECT = "00000000-0000-4000-8000-00000000e499"
DEPLOY_BOT = "00000000-0000-4000-8000-00000000e201"
AUDITOR = "00000000-0000-4000-8000-00000000e202"  # read on identity and member only
BLIND = "00000000-0000-4000-8000-00000000e203"  # may read secrets, not principals
ADMIN = "00000000-0000-4000-8000-00000000e204"
SCOPED = "00000000-0000-4000-8000-00000000e205"  # may read deploy-bot only
IDLE = "00000000-0000-4000-8000-00000000e206"  # in the org, not in the project
OUTSIDER = "00000000-0000-4000-8000-00000000e299"
DANA = "00000000-0000-4000-8000-00000000e101"
ENGINEERING = "00000000-0000-4000-8000-00000000e301"
THEIR_USER = "00000000-0000-4000-8000-00000000e199"

PROD_READ = {"subject": "secrets", "action": ["read"], "conditions": {"environment": "prod"}}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def world(now: dt.datetime) -> dict[str, Any]:
    hour = dt.timedelta(hours=1)
    return {
        "organizations": [
            {
                "id": ORG,
                "name": "Acme",
                "slug": "acme-explain",
                "users": [{"id": DANA, "email": "dana@acme.test"}],
                "identities": [
                    {"id": DEPLOY_BOT, "name": "deploy-bot"},
                    {"id": AUDITOR, "name": "auditor-bot"},
                    {"id": BLIND, "name": "blind-bot"},
                    {"id": ADMIN, "name": "admin-bot", "org_role": "admin"},
                    {"id": SCOPED, "name": "scoped-bot"},
                    {"id": IDLE, "name": "idle-bot"},
                ],
                "groups": [
                    {
                        "id": ENGINEERING,
                        "name": "Engineering",
                        "slug": "engineering",
                        "members": ["dana@acme.test"],
                    }
                ],
                "projects": [
                    {
                        "id": PROJECT,
                        "name": "Payments",
                        "slug": "payments",
                        "roles": [
                            {
                                "slug": "prod-guard",
                                "name": "Prod Guard",
                                "permissions": [
                                    {
                                        "subject": "secrets",
                                        "action": ["delete"],
                                        "conditions": {"environment": "prod"},
                                        "inverted": True,
                                    }
                                ],
                            },
                            {
                                "slug": "auditor",
                                "name": "Auditor",
                                "permissions": [
                                    {"subject": "identity", "action": ["read"]},
                                    {"subject": "member", "action": ["read"]},
                                ],
                            },
                            {
                                "slug": "bot-reader",
                                "name": "Bot Reader",
                                "permissions": [
                                    {
                                        "subject": "identity",
                                        "action": ["read"],
                                        "conditions": {"identityId": DEPLOY_BOT},
                                    }
                                ],
                            },
                            {
                                "slug": "secret-reader",
                                "name": "Secret Reader",
                                "permissions": [{"subject": "secrets", "action": ["read"]}],
                            },
                        ],
                        "groups": [
                            {
                                "group": "engineering",
                                "roles": [{"role": "member"}, {"role": "prod-guard"}],
                            }
                        ],
                        "users": [{"user": "dana@acme.test", "roles": [{"role": "viewer"}]}],
                        "identities": [
                            {
                                "identity": "deploy-bot",
                                "roles": [
                                    {"role": "viewer"},
                                    {
                                        "role": "member",
                                        "isTemporary": True,
                                        "temporaryMode": "relative",
                                        "temporaryRange": "1d",
                                        "temporaryAccessStartTime": iso(now + hour),
                                    },
                                ],
                                "privileges": [
                                    {
                                        "slug": "hotfix",
                                        "permissions": [
                                            {
                                                "subject": "secrets",
                                                "action": ["edit"],
                                                "conditions": {"environment": "prod"},
                                            },
                                            PROD_READ,
                                        ],
                                        "isTemporary": True,
                                        "temporaryMode": "relative",
                                        "temporaryRange": "2h",
                                        "temporaryAccessStartTime": iso(now - hour),
                                    },
                                    {
                                        "slug": "no-prod-reads",
                                        "permissions": [{**PROD_READ, "inverted": True}],
                                    },
                                ],
                            },
                            {"identity": "auditor-bot", "roles": [{"role": "auditor"}]},
                            {"identity": "blind-bot", "roles": [{"role": "secret-reader"}]},
                            {"identity": "admin-bot", "roles": [{"role": "admin"}]},
                            {"identity": "scoped-bot", "roles": [{"role": "bot-reader"}]},
                        ],
                    }
                ],
            },
            {
                "id": OTHER_ORG,
                "name": "Other",
                "slug": "other-explain",
                "users": [{"id": THEIR_USER, "email": "them@other.test"}],
                "identities": [{"id": OUTSIDER, "name": "outsider", "org_role": "admin"}],
                "projects": [
                    {
                        "id": OTHER_PROJECT,
                        "name": "Theirs",
                        "slug": "theirs",
                        "identities": [{"identity": "outsider", "roles": [{"role": "admin"}]}],
                    }
                ],
            },
        ]
    }
