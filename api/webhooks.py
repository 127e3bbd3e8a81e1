"""Webhook delivery: Standard Webhooks signatures, retries with backoff, a dead-letter list.

Every incident change is recorded in the store together with one pending delivery per
subscribed webhook (`claims.store.changes`). Each server process runs one `Dispatcher` thread
that claims due deliveries (leased, so two workers never send one at the same time), POSTs them
and records the outcome:

- a 2xx answer: delivered, never sent again;
- anything else (a 4xx/5xx, a timeout, a refused connection): due again after the next delay
  of `webhook_retry_delays` (default 1 s, 5 s, 30 s, 2 min, 10 min, 1 h), and after the last
  one `dead`, listed at `GET /v1/webhooks/{id}/dead-letters`.

Each message is signed with the subscription's secret as Standard Webhooks specifies (the
`standardwebhooks` library): `webhook-id` (the change's id, the same on every retry, so a
receiver drops repeats), `webhook-timestamp` (this attempt, Unix seconds) and
`webhook-signature` (`v1,` HMAC-SHA256 of `id.timestamp.body`). The body is
`{"type": ..., "timestamp": ..., "data": {...}}`.

Delivery is at-least-once: a process killed between sending and recording sends again after
the lease (receivers dedupe by `webhook-id`). Retries may reorder events; `data.seq` orders them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook as Signer

from claims.store import ClaimStore
from claims.store.changes import Change, Delivery

logger = logging.getLogger("api.webhooks")

LEASE_SECONDS = 60.0  # longer than one attempt can take (timeout + signing)


def payload(change: Change) -> str:
    """The message body for a change (compact JSON, what the signature covers)."""
    body = {
        "type": change.type,
        "timestamp": change.at.isoformat(),
        "data": {"seq": change.seq, "incident_id": change.incident_id, **change.data},
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def signed_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "claims-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, at, body),
    }


class Dispatcher:
    """The delivery loop of one server process (see the module doc)."""

    def __init__(
        self,
        store: ClaimStore,
        *,
        retry_delays: Sequence[float],
        poll_seconds: float = 1.0,
        timeout_seconds: float = 10.0,
        batch: int = 20,
    ) -> None:
        self.store = store
        self.retry_delays = list(retry_delays)
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="claims-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.run_once()
            except Exception:  # the store may be briefly unreachable: log, keep going
                logger.exception("webhook delivery round failed")
                sent = 0
            if sent < self.batch:  # a full batch means more may be due: go again at once
                self._stop.wait(self.poll_seconds)

    def run_once(self) -> int:
        """Claim and send one batch of due deliveries; how many were attempted."""
        due = self.store.claim_deliveries(self.batch, LEASE_SECONDS)
        hooks = {}
        for delivery in due:
            if delivery.webhook_id not in hooks:
                hooks[delivery.webhook_id] = self.store.get_webhook(delivery.webhook_id)
            hook = hooks[delivery.webhook_id]
            if hook is None:  # unsubscribed meanwhile (its deliveries go with it)
                continue
            self._attempt(delivery, hook.url, hook.secret)
        return len(due)

    def _attempt(self, delivery: Delivery, url: str, secret: str) -> None:
        body = payload(delivery.change)
        headers = signed_headers(secret, delivery.change.id, body, datetime.now(UTC))
        status: int | None = None
        try:
            response = self._client.post(url, content=body.encode("utf-8"), headers=headers)
            status = response.status_code
            error = None if response.is_success else f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self.store.finish_delivery(delivery.seq, delivered=True, status=status)
            return
        attempt = delivery.attempts  # attempts made before this one
        retry_at = (
            time.time() + self.retry_delays[attempt] if attempt < len(self.retry_delays) else None
        )
        if retry_at is None:
            logger.warning(
                "webhook %s: %s is dead after %d attempts (%s)",
                delivery.webhook_id,
                delivery.change.id,
                attempt + 1,
                error,
            )
        self.store.finish_delivery(
            delivery.seq, delivered=False, status=status, error=error, retry_at=retry_at
        )
