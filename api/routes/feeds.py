"""Feed subscriptions: RSS/Atom feeds polled by the server, new articles ingested (api/feeds.py).

Managing them needs the write scope when keys are configured: every new entry becomes a stored
document.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status

from api.access import Write
from api.deps import StoreDep, get_state
from api.errors import FeedBusyError, at
from api.feeds import FeedPoller
from api.routes.responses import AUTH_ERRORS, INPUT_ERRORS, error_doc
from api.schemas import FeedCreate, FeedPoll, FeedsPublic
from claims.store.feeds import Feed, FeedNotFoundError

router = APIRouter(prefix="/feeds", tags=["feeds"], dependencies=[Write], responses=AUTH_ERRORS)

FeedId = Annotated[str, Path(description="The subscription's id.", max_length=100)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_doc("No such feed (`feed_not_found`)")}


def _missing(feed_id: str) -> FeedNotFoundError:
    return at(["path", "feed_id"], FeedNotFoundError(f"no feed {feed_id!r}"))


@router.post(
    "",
    summary="Subscribe to an RSS or Atom feed; it is polled at once, then every interval",
    status_code=status.HTTP_201_CREATED,
    responses={k: v for k, v in INPUT_ERRORS.items() if k != 503},
)
def create_feed(body: FeedCreate, store: StoreDep) -> Feed:
    return store.add_feed(body.url, body.interval_seconds)


@router.get("", summary="The feed subscriptions, with their last poll and its error")
def list_feeds(store: StoreDep) -> FeedsPublic:
    return FeedsPublic(data=store.list_feeds())


@router.get("/{feed_id}", summary="One feed subscription", responses=NOT_FOUND)
def get_feed(feed_id: FeedId, store: StoreDep) -> Feed:
    feed = store.get_feed(feed_id)
    if feed is None:
        raise _missing(feed_id)
    return feed


@router.delete(
    "/{feed_id}",
    summary="Unsubscribe (documents already ingested stay)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
)
def delete_feed(feed_id: FeedId, store: StoreDep) -> None:
    if not store.delete_feed(feed_id):
        raise _missing(feed_id)


@router.post(
    "/{feed_id}/poll",
    summary="Poll a feed now and ingest its new entries",
    responses={
        **NOT_FOUND,
        409: error_doc("Another worker is polling this feed right now (`feed_busy`)"),
        503: error_doc("Models still loading (`not_ready`)"),
    },
)
def poll_feed(feed_id: FeedId, store: StoreDep, request: Request) -> FeedPoll:
    if store.get_feed(feed_id) is None:
        raise _missing(feed_id)
    get_state(request).check_ready()
    poller: FeedPoller = request.app.state.feed_poller
    result = poller.poll_now(feed_id)
    if result is None:
        raise FeedBusyError(f"feed {feed_id!r} is being polled by another worker; retry shortly")
    return FeedPoll(**asdict(result))
