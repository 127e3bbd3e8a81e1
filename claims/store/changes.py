"""The change log, webhook subscriptions and their deliveries, written once over a `Dialect`.

Why in the store: newsroom tools follow incidents either by polling (`GET /v1/changes?since=`)
or by webhooks, and both must see every change exactly once, whichever server process made it.
So a change is a row written *in the same transaction* as the incident it describes (a crash
cannot leave an incident without its change, or a change without its incident), and each
webhook subscribed to that change type gets a delivery row in that transaction too. Delivery
workers in any process then claim due rows (`FOR UPDATE SKIP LOCKED` in PostgreSQL, SQLite's
write lock otherwise), so two workers never send one delivery twice at once; a delivery that
keeps failing ends `dead`, readable as the subscription's dead-letter list.

What is sent over HTTP (signing, retries, backoff) is the service's business (`api/webhooks.py`);
this module only keeps the state.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from claims.errors import ClaimsError
from claims.store.common import SQLBackend

ChangeType = Literal["incident.created", "incident.changed", "incident.deleted", "conflict.created"]
CHANGE_TYPES: tuple[ChangeType, ...] = (
    "incident.created",
    "incident.changed",
    "incident.deleted",
    "conflict.created",
)
DeliveryState = Literal["pending", "delivered", "dead"]


class NewChange(BaseModel):
    """A change about to be recorded (by `put_incident` / `delete_incident`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ChangeType
    incident_id: str
    data: dict[str, Any] = Field(default_factory=dict)


class Change(BaseModel):
    """A recorded change. `seq` orders the log (the `since` cursor); `id` is stable and is the
    `webhook-id` of every delivery of it, so receivers can drop repeats."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    id: str
    type: ChangeType
    incident_id: str
    at: datetime
    data: dict[str, Any]


class Webhook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    url: str
    events: list[ChangeType]
    secret: str = Field(repr=False)  # whsec_<base64>: Standard Webhooks' secret format
    created_at: datetime


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    webhook_id: str
    change: Change
    state: DeliveryState
    attempts: int
    last_status: int | None = None
    last_error: str | None = None


class WebhookNotFoundError(ClaimsError):
    code = "webhook_not_found"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class ChangeLogMixin(SQLBackend):
    """Change log and webhook state for both SQL backends (tables in each backend's schema)."""

    # -- written inside the incident transactions ------------------------------------------
    def _record_changes(self, db: Any, changes: Sequence[NewChange]) -> None:
        """Append `changes` and a pending delivery per subscribed webhook; call inside the
        transaction that writes what they describe."""
        if not changes:
            return
        d = self._dialect
        now = datetime.now(UTC)
        hooks = [
            (str(hook_id), json.loads(events))
            for hook_id, events in db.execute("SELECT id, events FROM webhooks").fetchall()
        ]
        for change in changes:
            row = db.execute(
                d.sql(
                    "INSERT INTO changes (id, type, incident_id, at, body) VALUES (?, ?, ?, ?, ?)"
                    " RETURNING seq"
                ),
                (
                    "evt_" + uuid.uuid4().hex,
                    change.type,
                    d.key(change.incident_id),
                    now.isoformat(),
                    json.dumps(change.data, ensure_ascii=False),
                ),
            ).fetchone()
            seq = int(row[0])
            for hook_id, events in hooks:
                if change.type in events:
                    db.execute(
                        d.sql(
                            "INSERT INTO deliveries (webhook_id, change_seq, state, attempts,"
                            " next_attempt_at) VALUES (?, ?, 'pending', 0, ?)"
                        ),
                        (hook_id, seq, time.time()),
                    )

    # -- the change feed --------------------------------------------------------------------
    def changes_since(self, after: int, limit: int = 100) -> list[Change]:
        """Changes with `seq > after`, oldest first, at most `limit`."""
        d = self._dialect
        rows = self._read(
            d.sql(
                "SELECT seq, id, type, incident_id, at, body FROM changes WHERE seq > ?"
                " ORDER BY seq LIMIT ?"
            ),
            (after, limit),
        )
        return [self._change(row) for row in rows]

    def _change(self, row: Sequence[Any]) -> Change:
        seq, change_id, change_type, incident_id, at, body = row
        return Change(
            seq=int(seq),
            id=str(change_id),
            type=change_type,
            incident_id=self._dialect.unkey(str(incident_id)),
            at=datetime.fromisoformat(str(at)),
            data=json.loads(body),
        )

    # -- subscriptions ----------------------------------------------------------------------
    def add_webhook(self, url: str, events: Sequence[ChangeType]) -> Webhook:
        hook = Webhook(
            id="wh_" + uuid.uuid4().hex[:16],
            url=url,
            events=list(dict.fromkeys(events)),
            secret=new_secret(),
            created_at=datetime.now(UTC),
        )
        d = self._dialect
        with self._transaction() as db:
            db.execute(
                d.sql(
                    "INSERT INTO webhooks (id, url, events, secret, created_at)"
                    " VALUES (?, ?, ?, ?, ?)"
                ),
                (
                    hook.id,
                    hook.url,
                    json.dumps(hook.events),
                    hook.secret,
                    hook.created_at.isoformat(),
                ),
            )
        return hook

    def list_webhooks(self) -> list[Webhook]:
        rows = self._read("SELECT id, url, events, secret, created_at FROM webhooks ORDER BY id")
        return [self._webhook(row) for row in rows]

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        d = self._dialect
        rows = self._read(
            d.sql("SELECT id, url, events, secret, created_at FROM webhooks WHERE id = ?"),
            (d.key(webhook_id),),
        )
        return self._webhook(rows[0]) if rows else None

    @staticmethod
    def _webhook(row: Sequence[Any]) -> Webhook:
        hook_id, url, events, secret, created_at = row
        return Webhook(
            id=str(hook_id),
            url=str(url),
            events=json.loads(events),
            secret=str(secret),
            created_at=datetime.fromisoformat(str(created_at)),
        )

    def delete_webhook(self, webhook_id: str) -> bool:
        """Remove the subscription and its deliveries (pending and dead)."""
        d = self._dialect
        with self._transaction() as db:
            db.execute(d.sql("DELETE FROM deliveries WHERE webhook_id = ?"), (d.key(webhook_id),))
            deleted = db.execute(
                d.sql("DELETE FROM webhooks WHERE id = ?"), (d.key(webhook_id),)
            ).rowcount
        return bool(deleted)

    # -- deliveries -------------------------------------------------------------------------
    _DELIVERY_SELECT: ClassVar[str] = (
        "SELECT v.seq, v.webhook_id, v.state, v.attempts, v.last_status, v.last_error,"
        " c.seq, c.id, c.type, c.incident_id, c.at, c.body"
        " FROM deliveries v JOIN changes c ON c.seq = v.change_seq"
    )

    def _delivery(self, row: Sequence[Any]) -> Delivery:
        seq, hook_id, state, attempts, status, error, *change = row
        return Delivery(
            seq=int(seq),
            webhook_id=str(hook_id),
            change=self._change(change),
            state=state,
            attempts=int(attempts),
            last_status=None if status is None else int(status),
            last_error=None if error is None else str(error),
        )

    def claim_deliveries(self, limit: int, lease_seconds: float) -> list[Delivery]:
        """Up to `limit` due pending deliveries, oldest first, leased to the caller: their next
        attempt is pushed `lease_seconds` ahead, so another worker does not take them while
        this one sends (if this process dies, they come due again when the lease ends)."""
        d = self._dialect
        now = time.time()
        with self._transaction() as db:
            rows = db.execute(
                d.sql(
                    "SELECT seq FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?"
                    f" ORDER BY seq LIMIT ?{d.skip_locked}"
                ),
                (now, limit),
            ).fetchall()
            seqs = [int(r[0]) for r in rows]
            for seq in seqs:
                db.execute(
                    d.sql("UPDATE deliveries SET next_attempt_at = ? WHERE seq = ?"),
                    (now + lease_seconds, seq),
                )
        if not seqs:
            return []
        marks = ",".join("?" * len(seqs))
        found = self._read(
            d.sql(f"{self._DELIVERY_SELECT} WHERE v.seq IN ({marks}) ORDER BY v.seq"), seqs
        )
        return [self._delivery(row) for row in found]

    def finish_delivery(
        self,
        seq: int,
        *,
        delivered: bool,
        status: int | None = None,
        error: str | None = None,
        retry_at: float | None = None,
    ) -> None:
        """Record one attempt: delivered, due again at `retry_at` (epoch seconds), or dead when
        it failed and no retry is left (`retry_at` None)."""
        state = "delivered" if delivered else ("pending" if retry_at is not None else "dead")
        d = self._dialect
        with self._transaction() as db:
            db.execute(
                d.sql(
                    "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_status = ?,"
                    " last_error = ?, next_attempt_at = ? WHERE seq = ?"
                ),
                (state, status, None if error is None else error[:500], retry_at or 0.0, seq),
            )

    def retry_dead(self, webhook_id: str) -> int:
        """Make the subscription's dead deliveries due again with a fresh set of attempts (after
        the receiver is fixed); how many."""
        d = self._dialect
        with self._transaction() as db:
            count = db.execute(
                d.sql(
                    "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?"
                    " WHERE webhook_id = ? AND state = 'dead'"
                ),
                (time.time(), d.key(webhook_id)),
            ).rowcount
        return int(count)

    def deliveries(self, webhook_id: str, state: DeliveryState | None = None) -> list[Delivery]:
        """A subscription's deliveries (of one state), oldest first; `dead` is its dead-letter
        list."""
        d = self._dialect
        where, params = " WHERE v.webhook_id = ?", [d.key(webhook_id)]
        if state is not None:
            where += " AND v.state = ?"
            params.append(state)
        rows = self._read(d.sql(f"{self._DELIVERY_SELECT}{where} ORDER BY v.seq"), params)
        return [self._delivery(row) for row in rows]
