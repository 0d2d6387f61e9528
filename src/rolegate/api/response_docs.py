"""Documented error responses whose models are built when the OpenAPI document is.

FastAPI builds a pydantic ``TypeAdapter`` for the ``model`` of every ``responses=`` entry
when a route is declared, though nothing but the OpenAPI document ever reads them: with
each route documenting its surface's error envelope under seven to ten statuses, that is
~550 adapters, about a fifth of what ``rolegate serve`` imports before it forks its
workers (cold start is timed to ``/readyz``, docs/performance.md). A route of this class
declares its responses without their models and builds the fields on first access of
``response_fields``, which only ``app.openapi()`` makes. The document is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from fastapi.utils import create_model_field


class DeferredResponseModels(APIRoute):
    """An ``APIRoute`` that builds its ``responses=`` models' fields on first use."""

    _response_fields: dict[int | str, Any]

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        responses: dict[int | str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        described: dict[int | str, dict[str, Any]] = {}
        self._deferred_models: dict[int | str, Any] = {}
        for status_code, response in (responses or {}).items():
            described[status_code] = {key: v for key, v in response.items() if key != "model"}
            if response.get("model"):
                self._deferred_models[status_code] = response["model"]
        super().__init__(path, endpoint, responses=described, **kwargs)

    @property
    def response_fields(self) -> dict[int | str, Any]:
        if self._deferred_models:
            # FastAPI's own naming, so the document's component names do not change.
            built = {
                status_code: create_model_field(
                    name=f"Response_{status_code}_{self.unique_id}",
                    type_=model,
                    mode="serialization",
                )
                for status_code, model in self._deferred_models.items()
            }
            self._response_fields = {**self._response_fields, **built}
            self._deferred_models = {}
        return self._response_fields

    @response_fields.setter
    def response_fields(self, fields: dict[int | str, Any]) -> None:
        self._response_fields = fields
