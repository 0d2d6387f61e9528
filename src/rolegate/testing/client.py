"""A small client for a test-mode server's /_rolegate routes (standard library only).

It talks HTTP, so it works the same against the server the plugin starts and against
one given by ``ROLEGATE_URL`` (a compose stack).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class RolegateError(RuntimeError):
    """A /_rolegate call failed; ``status`` and ``body`` are the server's answer."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {path}: {status} {body}")
        self.status = status
        self.body = body


def duration_text(duration: str | dt.timedelta) -> str:
    """A duration as the clock route takes it: ``"2h"`` as given, a timedelta in ms."""
    if isinstance(duration, dt.timedelta):
        return f"{round(duration.total_seconds() * 1000)}ms"
    return duration


class Rolegate:
    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Rolegate({self.url!r})"

    # -- tokens, minted at the server's (simulated) now -------------------------------

    def infisical_token(self, identity_id: str) -> str:
        """An Infisical access token for a machine identity (``Authorization: Bearer``)."""
        return str(self._call("POST", "/tokens/infisical", {"identityId": identity_id})["token"])

    def csp_token(self, email: str, org: str | None = None) -> str:
        """A CSP access token for a user (``csp-auth-token``)."""
        return str(self._call("POST", "/tokens/csp", {"email": email, "org": org})["token"])

    def ctrlhub_token(self, email: str, org: str | None = None) -> str:
        """A ctrl-hub session token for a user (``X-Session-Token``)."""
        return str(self._call("POST", "/tokens/ctrlhub", {"email": email, "org": org})["token"])

    # -- the clock ---------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The server's now (what every surface decides by)."""
        return _instant(self._call("GET", "/clock")["now"])

    def advance(self, duration: str | dt.timedelta) -> dt.datetime:
        """Move the clock forward (``"90s"``, ``"2h"``, ``"7d"`` or a timedelta)."""
        answer = self._call("POST", "/clock", {"advance": duration_text(duration)})
        return _instant(answer["now"])

    def set_clock(self, iso_time: str | dt.datetime, *, frozen: bool = False) -> dt.datetime:
        """Move the clock to an instant (with a zone); ``frozen``: time stands still there."""
        at = iso_time.isoformat() if isinstance(iso_time, dt.datetime) else iso_time
        return _instant(self._call("POST", "/clock", {"now": at, "frozen": frozen})["now"])

    def real_time(self) -> dt.datetime:
        """Back to real time."""
        return _instant(self._call("DELETE", "/clock")["now"])

    # -- state -------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seed: the store, the clock (real time) and the journal (empty)."""
        self._call("POST", "/reset")

    def snapshot(self, name: str) -> None:
        self._call("POST", "/snapshots", {"name": name})

    def restore(self, name: str) -> None:
        self._call("POST", f"/snapshots/{urllib.parse.quote(name, safe='')}/restore")

    def requests(
        self, *, surface: str | None = None, path: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The newest requests the server received (newest first), secrets redacted."""
        query = {k: v for k, v in {"surface": surface, "path": path}.items() if v is not None}
        query["limit"] = str(limit)
        answer = self._call("GET", "/requests?" + urllib.parse.urlencode(query))
        return list(answer["requests"])

    # -- plumbing ------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the URL is the test server's own
            f"{self.url}/_rolegate{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise RolegateError(method, path, exc.code, _decoded(exc.read())) from None
        return _decoded(raw) if raw else None


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
