"""Service configuration from `CLAIMS_*` environment variables (or a `.env` file).

Read once per process through the cached `get_settings()`, never at import time, so tests build
apps with their own `Settings(...)` and nothing global leaks between them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, Literal

from limits import parse_many
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from claims.comparison.embed import DEFAULT_EMBEDDING_MODEL
from claims.extraction.nlp import DEFAULT_SPACY_MODEL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLAIMS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///./claims.db"
    # Keys (see api/access.py). Empty: the API is open. CLAIMS_API_KEYS hold the write scope,
    # CLAIMS_READ_API_KEYS the read scope; each takes a JSON list or comma-separated keys.
    # repr=False keeps keys out of logs.
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list, repr=False)
    read_api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list, repr=False)
    # Which endpoints need a key once keys are configured: ingest/delete only, also the
    # stateless model runs (extract, compare, search), or every /v1 endpoint.
    require_keys_for: Literal["writes", "compute", "all"] = "writes"
    # Rate limits in cost units (a read costs 1, a model run 10) per window, `limits` notation
    # ("600/minute", "10/second;600/hour"); empty disables. Anonymous: per client address.
    rate_limit_anonymous: str = "600/minute"
    rate_limit_key: str = "6000/minute"
    # Where the counters live: memory:// counts per process; redis://host:6379 shares them.
    rate_limit_storage: str = "memory://"
    # Webhooks (api/webhooks.py): the delay before each retry of a failed delivery, in seconds;
    # after the last one a delivery is dead (the dead-letter list). JSON list in the env.
    webhook_retry_delays: list[float] = Field(
        default_factory=lambda: [1.0, 5.0, 30.0, 120.0, 600.0, 3600.0]
    )
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # False: this process records changes but does not deliver (another process does).
    webhook_delivery: bool = True
    # Feed subscriptions (api/feeds.py): how often this process looks for due feeds; False:
    # it polls only on request (POST /v1/feeds/{id}/poll).
    feed_polling: bool = True
    feed_poll_seconds: float = Field(default=5.0, gt=0)
    max_text_chars: int = Field(default=200_000, ge=1)
    max_body_bytes: int = Field(default=2_000_000, ge=1)
    max_documents_per_request: int = Field(default=100, ge=1)
    # An ingest compares the new report with reports within 30 days of it and with undated ones;
    # of the undated (or, for an undated report, of all), only this many most recent.
    max_undated_candidates: int = Field(default=2000, ge=0)
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    spacy_model: str = DEFAULT_SPACY_MODEL
    # torch intra-op threads; None keeps torch's default. 1 is best when processes share cores.
    embedding_threads: int | None = Field(default=None, ge=1)
    # "model": the trained NLI model reviews the rules' conflicts and proposes its own (default);
    # "rules": frames and wording rules only (no model load, lower latency).
    relation_scorer: Literal["model", "rules"] = "model"

    @field_validator("rate_limit_anonymous", "rate_limit_key")
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        if value.strip():
            parse_many(value)  # raises ValueError on a malformed limit, at startup
        return value.strip()

    @field_validator("api_keys", "read_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [k.strip() for k in text.split(",") if k.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
