"""Webhook subscriptions (Standard Webhooks), and their dead-letter lists.

Managing subscriptions needs the write scope when keys are configured: a subscription sends
incident data to a URL of the caller's choosing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from api.access import Write
from api.deps import StoreDep
from api.errors import at
from api.routes.responses import AUTH_ERRORS, INPUT_ERRORS, error_doc
from api.schemas import (
    DeliveriesPublic,
    RetriedPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
)
from claims.store.changes import Webhook, WebhookNotFoundError

router = APIRouter(
    prefix="/webhooks", tags=["webhooks"], dependencies=[Write], responses=AUTH_ERRORS
)

WebhookId = Annotated[str, Path(description="The subscription's id.", max_length=100)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: error_doc("No such subscription (`webhook_not_found`)")
}


def _public(hook: Webhook) -> WebhookPublic:
    return WebhookPublic(id=hook.id, url=hook.url, events=hook.events, created_at=hook.created_at)


def _get(store: StoreDep, webhook_id: str) -> Webhook:
    hook = store.get_webhook(webhook_id)
    if hook is None:
        raise at(["path", "webhook_id"], WebhookNotFoundError(f"no webhook {webhook_id!r}"))
    return hook


@router.post(
    "",
    summary="Subscribe a URL to incident changes; the answer holds its signing secret",
    status_code=status.HTTP_201_CREATED,
    responses={k: v for k, v in INPUT_ERRORS.items() if k != 503},
)
def create_webhook(body: WebhookCreate, store: StoreDep) -> WebhookCreated:
    hook = store.add_webhook(body.url, body.events)
    return WebhookCreated(**_public(hook).model_dump(), secret=hook.secret)


@router.get("", summary="The subscriptions (without their secrets)")
def list_webhooks(store: StoreDep) -> WebhooksPublic:
    return WebhooksPublic(data=[_public(h) for h in store.list_webhooks()])


@router.get("/{webhook_id}", summary="One subscription", responses=NOT_FOUND)
def get_webhook(webhook_id: WebhookId, store: StoreDep) -> WebhookPublic:
    return _public(_get(store, webhook_id))


@router.delete(
    "/{webhook_id}",
    summary="Unsubscribe (pending and dead deliveries go too)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
)
def delete_webhook(webhook_id: WebhookId, store: StoreDep) -> None:
    if not store.delete_webhook(webhook_id):
        raise at(["path", "webhook_id"], WebhookNotFoundError(f"no webhook {webhook_id!r}"))


@router.post(
    "/{webhook_id}/dead-letters/retry",
    summary="Send the dead letters again (after fixing the receiver), with fresh retries",
    responses=NOT_FOUND,
)
def retry_dead_letters(webhook_id: WebhookId, store: StoreDep) -> RetriedPublic:
    _get(store, webhook_id)
    return RetriedPublic(retried=store.retry_dead(webhook_id))


@router.get(
    "/{webhook_id}/dead-letters",
    summary="Deliveries that failed on every attempt, with the last status or error",
    responses=NOT_FOUND,
)
def dead_letters(webhook_id: WebhookId, store: StoreDep) -> DeliveriesPublic:
    _get(store, webhook_id)
    return DeliveriesPublic(data=store.deliveries(webhook_id, "dead"))
