"""The change feed: every incident change in the order it was recorded, for pollers.

Webhooks push the same events (see `api/routes/webhooks.py`); a tool that cannot receive HTTP
polls here instead, keeping the `next_cursor` it was given.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.access import Read
from api.deps import StoreDep
from api.routes.responses import AUTH_ERRORS, error_doc
from api.schemas import ChangesPage

router = APIRouter(prefix="/changes", tags=["changes"], dependencies=[Read], responses=AUTH_ERRORS)


@router.get(
    "",
    summary="Incident changes after a cursor: created, changed, deleted, new conflicts",
    responses={422: error_doc("`since` is not a cursor this server gave out")},
)
def list_changes(
    store: StoreDep,
    since: Annotated[
        str,
        Query(
            max_length=40,
            pattern=r"^[0-9]+$",
            description="A `next_cursor` from an earlier page; `0` for the whole log.",
        ),
    ] = "0",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ChangesPage:
    after = int(since)
    changes = store.changes_since(after, limit)
    return ChangesPage(data=changes, next_cursor=str(changes[-1].seq if changes else after))
