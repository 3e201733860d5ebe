"""The config schema: typed, strict pydantic models of config/rightswatch.yaml.

The schema is a contract with outside scripts: keys are only ever added, never renamed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from rightswatch.config.machine import browser_problem
from rightswatch.profile_names import PROFILE_NAMES

WATCH_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
CHANGE_KINDS = ("moved", "renamed", "removed", "added", "modified")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FetchSettings(_Strict):
    user_agent: str = "rightswatch/0.1 (+https://example.org/contact)"
    timeout: float = Field(30.0, gt=0, le=600)
    retries: int = Field(3, ge=0, le=10)
    per_host_concurrency: int = Field(2, ge=1, le=64)
    per_host_delay: float = Field(1.0, ge=0, le=600)
    max_bytes: int = Field(10 * 1024 * 1024, gt=0)
    respect_robots: bool = True
    # Connect to loopback, private, link-local... addresses (README "Security"); for an
    # intranet deployment. A watch's own configured host is always allowed.
    allow_private: bool = False
    max_redirects: int = Field(5, ge=0, le=30)
    # render: browser (README "JavaScript pages"): pages rendered at once, seconds per page,
    # other hosts a page may load from (exact names, or *.example.org), and the Chromium binary.
    browser_concurrency: int = Field(2, ge=1, le=16)
    browser_timeout: float = Field(30.0, gt=0, le=600)
    browser_allow: list[str] = Field(default_factory=list)
    browser_executable: str | None = None


class RunSettings(_Strict):
    """How a run is orchestrated; the defaults suit a few hundred pages on one machine."""

    max_workers: int = Field(8, ge=1, le=256)  # checks in flight at once (thread pool size)
    task_retries: int = Field(2, ge=0, le=10)  # Prefect retries of a transient failure
    task_retry_delay: float = Field(30.0, ge=0, le=3600)  # seconds between those retries
    task_timeout: float | None = Field(None, gt=0)  # seconds per watch; default from fetch
    # 0: one task per watch up to 4 per worker, else one task per worker (checkqueue.py)
    watches_per_task: int = Field(0, ge=0, le=10_000)
    # Flow runs one sweep is split into; shards after the first run as `shard_deployment`
    # on other workers (README "Production"). auto: one per worker online in the deployment's
    # work pool, at most max_shards; one when the run has no pool (`rightswatch check`).
    shards: int | Literal["auto"] = Field("auto")
    max_shards: int = Field(8, ge=1, le=256)
    shard_deployment: str = "rightswatch-shard/shard"
    shard_timeout: float = Field(6 * 3600, gt=0)  # seconds the parent waits for its shards
    # seconds a shard may wait for a worker before the parent cancels it and checks it itself
    shard_pickup_timeout: float = Field(120.0, gt=0)
    # Processes one local sweep's static pages are checked in, so a CPU-bound sweep uses every
    # core; each takes its share of the per-host limits (processes.py). auto: one per CPU, at
    # most 4, once a sweep has 200 static pages; 1 keeps everything in the flow's process.
    processes: Annotated[int, Field(ge=1, le=64)] | Literal["auto"] = Field("auto")
    # Where watch locks and per-host limits live: this process (local), or Prefect global
    # concurrency limits shared by every worker (prefect). auto: prefect when the snapshots
    # are remote or the sweep is sharded.
    coordination: Literal["auto", "local", "prefect"] = "auto"

    def timeout_for(self, fetch: FetchSettings) -> float:
        """Long enough for every HTTP retry of a page, short enough to free a stuck worker."""
        if self.task_timeout is not None:
            return self.task_timeout
        return fetch.timeout * 2 * (fetch.retries + 1) + 60


class GuardSettings(_Strict):
    """When a fetched page is suspect instead of the new baseline (see guard.py)."""

    min_words_ratio: float = Field(0.5, gt=0, le=1)  # suspect below this share of the words
    min_sections_ratio: float = Field(0.5, gt=0, le=1)  # ... or of the sections
    min_title_similarity: float = Field(0.3, ge=0, le=1)
    accept_after: int = Field(2, ge=1, le=100)  # runs a big deletion must persist to be real
    # Bounded work per page: a document beyond these is suspect (real reports have < 300).
    max_sections: int = Field(5_000, ge=1)
    max_paragraphs: int = Field(50_000, ge=1)


class HealthSettings(_Strict):
    alert_after: int = Field(3, ge=1, le=1000)  # consecutive failed checks before one notice


def _check_cron(value: str) -> str:
    # Imported here: croniter runs `file` on the interpreter when it loads (platform.
    # architecture), a subprocess every command paid before its first request.
    from croniter import croniter

    if not croniter.is_valid(value):
        raise ValueError(
            f"{value!r} is not a valid cron expression; use five fields such as '0 6 * * *' (UTC)"
        )
    return value


def _check_profile(value: str) -> str:
    if value not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {value!r}; choose one of {', '.join(PROFILE_NAMES)}")
    return value


def _check_regexes(values: list[str]) -> list[str]:
    for pattern in values:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
    return values


class Defaults(_Strict):
    schedule: str = "0 6 * * *"
    profile: str = "auto"
    channels: list[str] = Field(default_factory=lambda: ["console"])
    health_channels: list[str] | None = None  # default: the watch's own channels
    sections: list[str] = Field(default_factory=lambda: ["*"])
    ignore: list[str] = Field(default_factory=list)
    render: Literal["static", "browser"] = "static"

    _cron = field_validator("schedule")(_check_cron)
    _profile = field_validator("profile")(_check_profile)
    _ignore = field_validator("ignore")(_check_regexes)


class Watch(_Strict):
    """One configured page; keys missing here are filled from `defaults` when loading."""

    id: str
    url: str
    title: str | None = None
    profile: str = "auto"
    sections: list[str] = Field(default_factory=lambda: ["*"])
    ignore: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=lambda: ["console"])
    health_channels: list[str] | None = None  # "watch failing" notices; default: channels
    schedule: str = "0 6 * * *"
    content: str | None = None  # css profile: selector of the content container
    heading: str | None = None  # css profile: selector of headings inside it
    # kind: index watches a list of publications; link_pattern (a regex searched in each
    # link's absolute URL) picks the ones that count; auto_watch starts watching new ones.
    kind: Literal["page", "index"] = "page"
    link_pattern: str | None = None
    auto_watch: bool = False
    link_hosts: list[str] = Field(default_factory=list)  # other hosts an index may link to
    max_auto_watches: int = Field(200, ge=0, le=100_000)  # pages one index may add
    edition_of: str | None = None  # id of the watch this page is a translation of
    lang: str | None = None  # this edition's language, for messages (e.g. ru)
    render: Literal["static", "browser"] = "static"  # browser: run the page's scripts first

    _cron = field_validator("schedule")(_check_cron)
    _profile = field_validator("profile")(_check_profile)
    _ignore = field_validator("ignore")(_check_regexes)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not WATCH_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a valid watch id; use 1-64 lower-case letters, digits and "
                "hyphens, starting with a letter or digit (e.g. hrw-wr2021-kazakhstan)"
            )
        return value

    @field_validator("link_hosts")
    @classmethod
    def _check_link_hosts(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            host = value.strip().rstrip(".").lower()
            if not host or "/" in host or "@" in host or " " in host:
                raise ValueError(
                    f"{value!r} is not a host name; give names like 'www.hrw.org', or "
                    "'intranet.example:8080' for one port only (no scheme, no path)"
                )
            out.append(host)
        return out

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{value!r} is not an http(s) URL; only http:// and https:// pages can be watched"
            )
        return value

    @model_validator(mode="after")
    def _css_needs_content(self) -> Watch:
        if self.profile == "css" and not self.content:
            raise ValueError("profile 'css' needs a `content` selector (and optionally `heading`)")
        if self.kind == "index" and not self.link_pattern:
            raise ValueError(
                "kind 'index' needs a `link_pattern`: a regex matching the URLs of the "
                "publications listed on the page, e.g. '/world-report/\\d{4}/country-chapters/'"
            )
        if self.link_pattern is not None:
            _check_regexes([self.link_pattern])
        return self


class _ChannelBase(_Strict):
    watches: list[str] = Field(default_factory=lambda: ["*"])  # watch id globs
    sections: list[str] = Field(default_factory=lambda: ["*"])  # section heading globs
    # Subscriptions: only changes where one of these appears or disappears (case-insensitive
    # words, or regexes), each reported with its sentence.
    keywords: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    _patterns = field_validator("patterns")(_check_regexes)
    min_kind: Literal["moved", "renamed", "removed", "added", "modified"] = "moved"


class ConsoleChannel(_ChannelBase):
    type: Literal["console"]


class SlackChannel(_ChannelBase):
    type: Literal["slack"]
    webhook_url: SecretStr


class EmailChannel(_ChannelBase):
    type: Literal["email"]
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout: float = Field(30.0, gt=0)
    ca_file: str | None = None  # a private CA bundle for the SMTP server's certificate


class WebhookChannel(_ChannelBase):
    type: Literal["webhook"]
    url: SecretStr
    headers: dict[str, SecretStr] = Field(default_factory=dict)


class AppriseChannel(_ChannelBase):
    type: Literal["apprise"]
    url: SecretStr


class AtomChannel(_ChannelBase):
    """An Atom 1.0 feed file, rewritten atomically each run that has new events for it."""

    type: Literal["atom"]
    path: str  # relative to the current directory; parent folders are created
    title: str | None = None
    max_entries: int = Field(200, ge=1, le=100_000)


# The one registry of channel types: a config `type:` → its settings. notify.SENDERS holds the
# class that sends to each (kept apart so loading a config imports no SMTP or HTTP client).
CHANNEL_TYPES: dict[str, type[_ChannelBase]] = {
    "console": ConsoleChannel,
    "slack": SlackChannel,
    "email": EmailChannel,
    "webhook": WebhookChannel,
    "apprise": AppriseChannel,
    "atom": AtomChannel,
}

ChannelConfig = Annotated[
    ConsoleChannel | SlackChannel | EmailChannel | WebhookChannel | AppriseChannel | AtomChannel,
    Field(discriminator="type"),
]


class EditionSettings(_Strict):
    # Days an edition may lag behind its pair before the digest says so (once per change).
    lag_days: float = Field(7.0, gt=0, le=365)


class ArchiveSettings(_Strict):
    """Preservation in a web archive (README "Preservation"): Save Page Now and backfill."""

    service: Literal["wayback"] = "wayback"
    endpoint: str = "https://web.archive.org"
    access_key: SecretStr | None = None  # sent as `Authorization: LOW key:secret`
    secret_key: SecretStr | None = None
    max_per_run: int = Field(50, ge=0, le=100_000)  # saves per run; the rest wait, oldest first
    poll_interval: float = Field(5.0, ge=0, le=600)  # seconds between status polls of a save
    poll_timeout: float = Field(120.0, ge=0, le=3600)  # a save still pending is polled next run
    timeout: float = Field(30.0, gt=0, le=600)  # per HTTP request to the archive

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL; e.g. https://web.archive.org")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _keys_in_pairs(self) -> ArchiveSettings:
        if (self.access_key is None) != (self.secret_key is None):
            raise ValueError("set both `access_key` and `secret_key` (archive.org/account/s3.php)")
        return self


class Config(_Strict):
    snapshots: str = "snapshots"
    # fsspec options for a remote `snapshots:` URL, e.g. {endpoint_url: ...}; credentials
    # belong in the environment (AWS_ACCESS_KEY_ID...), not here.
    snapshot_options: dict[str, Any] = Field(default_factory=dict)
    keep_raw: bool = True  # keep each distinct raw page, gzip-compressed, as evidence
    report_base_url: str | None = None  # where snapshots/ is published; digests link reports
    # Delivered events, their markers and channel records older than this are compacted
    # (retention.py); history, documents, raw pages, reports and `export` are kept whole.
    retention_days: int = Field(90, ge=1, le=36_500)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    run: RunSettings = Field(default_factory=RunSettings)
    guard: GuardSettings = Field(default_factory=GuardSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    editions: EditionSettings = Field(default_factory=EditionSettings)
    defaults: Defaults = Field(default_factory=Defaults)
    watches: list[Watch] = Field(default_factory=list)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    archive: ArchiveSettings | None = None  # unset: nothing is sent to a web archive

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        defaults = data.get("defaults") or {}
        watches = data.get("watches")
        if not isinstance(defaults, Mapping) or not isinstance(watches, list):
            return data
        try:
            Defaults.model_validate(defaults)
        except ValidationError:
            return data  # report the problem once, at defaults.*, not again in every watch
        inherited = {k: v for k, v in defaults.items() if k in Watch.model_fields}
        merged = [{**inherited, **w} if isinstance(w, Mapping) else w for w in watches]
        return {**data, "watches": merged}

    @model_validator(mode="after")
    def _cross_check(self) -> Config:
        self.channels.setdefault("console", ConsoleChannel(type="console"))
        ids = {w.id for w in self.watches}
        for watch in self.watches:
            if watch.edition_of is not None and watch.edition_of not in ids - {watch.id}:
                raise ValueError(
                    f"watch {watch.id!r}: edition_of {watch.edition_of!r} is not another "
                    f"configured watch id; use the id of the edition it translates"
                )
        browser = [w.id for w in self.watches if w.render == "browser"]
        if browser:
            problem = browser_problem(self.fetch.browser_executable)
            if problem:
                raise ValueError(f"watch {browser[0]!r} has render: browser, but {problem}")
        return self

    def coordinated(self) -> bool:
        """Whether locks and per-host limits must hold across workers (Prefect's limits)."""
        if self.run.coordination != "auto":
            return self.run.coordination == "prefect"
        shards = self.run.shards
        return (isinstance(shards, int) and shards > 1) or is_remote(self.snapshots)

    def watch(self, watch_id: str) -> Watch:
        for watch in self.watches:
            if watch.id == watch_id:
                return watch
        known = ", ".join(w.id for w in self.watches) or "none"
        raise KeyError(f"no watch with id {watch_id!r}; configured watches: {known}")


def is_remote(location: str | Path) -> bool:
    """A `snapshots:` value naming an fsspec URL rather than a local directory."""
    text = str(location)
    return "://" in text and not text.startswith("file://")
