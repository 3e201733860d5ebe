"""Every path in the snapshot store, in one place. File locations are a contract that outside
scripts rely on: change nothing here without a migration.

    <watch-id>/docs/<content-hash>.json.gz           each distinct Document, stored once
    <watch-id>/raw/<sha256>.html.gz                  raw page bytes, kept as evidence
    <watch-id>/snapshots/<record-id>.json            history: when each document was first seen
    <watch-id>/state.json                            last check, baseline, validators, failures
    <watch-id>/.lock                                 held while a run updates the watch
    <watch-id>/archive/<record-id>.json              a confirmed web-archive copy of a snapshot
    <watch-id>/archive/queue/<record-id>.json        a web-archive save still waiting
    <watch-id>/index.json                            an index watch's links and discoveries
    <watch-id>/reports/<time>[-vs-<hash>].html       a change report (HTML)
    <watch-id>/suspect/<time>-<sha256[:12]>.html     a suspect page (.pdf: a PDF), as evidence
    <watch-id>/outbox/<event-id>.json                a change event or notice, written once
    <watch-id>/outbox/<event-id>.<channel>.sent      the channel acknowledged it
    <watch-id>/outbox/<event-id>.<channel>.error     the channel's last failure
    .channels/<channel>.lock                         held while a channel delivers
    .channels/<channel>/deliveries/<key>.json        a delivery's commit record
    .channels/<channel>/<key>.parts                  parts of a split digest already sent
    .runs/<run-key>/<shard-key>.json                 one shard's results, for its parent run
    .pending/<channel>/<watch-id>~<event-id>         an event the channel has not acknowledged
    .pending/.indexed                                every older event is in the pending index
    .checks/<time>-<token>.json                      last checks of unchanged watches (per run)
    .archive-queue/<watch-id>~<record-id>            a queued web-archive save, indexed
    .archive-queue/.indexed                          every older queued save is in that index
    <watch-id>/outbox-delivered.jsonl.gz             delivered events compacted after retention
    .retention.json                                  when retention last ran
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = [
    "LOCK",
    "TIME",
    "archive_queue",
    "archived",
    "channel_lock",
    "channel_records",
    "channels",
    "checks",
    "checks_object",
    "compacted_events",
    "deliveries",
    "delivery",
    "doc",
    "event",
    "event_error",
    "event_sent",
    "index",
    "lock",
    "lock_owner",
    "outbox",
    "parse_pending_entry",
    "parts",
    "pending",
    "pending_channel",
    "pending_entry",
    "pending_indexed",
    "queued_save",
    "raw",
    "record_id",
    "record_time",
    "report",
    "retention_mark",
    "save_index",
    "save_index_done",
    "save_index_entry",
    "shard",
    "snapshot",
    "snapshots",
    "state",
    "suspect",
]

LOCK = ".lock"
TIME = "%Y%m%dT%H%M%SZ"  # reports and suspect pages
_RECORD_TIME = "%Y%m%dT%H%M%S%fZ"  # snapshot record ids


def doc(watch_id: str, content_hash: str) -> str:
    return f"{watch_id}/docs/{content_hash}.json.gz"


def raw(watch_id: str, sha256: str) -> str:
    return f"{watch_id}/raw/{sha256}.html.gz"


def snapshots(watch_id: str) -> str:
    return f"{watch_id}/snapshots"


def snapshot(watch_id: str, record: str) -> str:
    return f"{snapshots(watch_id)}/{record}.json"


def record_id(taken_at: datetime, content_hash: str) -> str:
    """A snapshot record's sortable id: its time, then its short hash."""
    return f"{taken_at.strftime(_RECORD_TIME)}-{content_hash[:12]}"


def record_time(record: str | None) -> datetime:
    """The time a snapshot record was taken, read back from its id (the epoch if none)."""
    if record:
        try:
            return datetime.strptime(record.split("-", 1)[0], _RECORD_TIME).replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(0, UTC)


def state(watch_id: str) -> str:
    return f"{watch_id}/state.json"


def lock(watch_id: str) -> str:
    return f"{watch_id}/{LOCK}"


def channel_lock(channel: str) -> str:
    return f".channels/{channel}{LOCK}"


def lock_owner(lock_path: str) -> str:
    """The name of what a lock path guards: `kz/.lock` → `watch:kz`, a channel's lock →
    `channel:<name>` (the global limits that stand for store locks are named so)."""
    if lock_path.endswith("/" + LOCK):
        return f"watch:{lock_path.removesuffix('/' + LOCK)}"
    if lock_path.startswith(".channels/") and lock_path.endswith(LOCK):
        return f"channel:{lock_path.removeprefix('.channels/').removesuffix(LOCK)}"
    return "rightswatch:" + lock_path.strip("/").replace("/", ":")


def index(watch_id: str) -> str:
    return f"{watch_id}/index.json"


def report(watch_id: str, taken_at: datetime, versus: str | None = None) -> str:
    name = taken_at.strftime(TIME) + (f"-vs-{versus}" if versus else "")
    return f"{watch_id}/reports/{name}.html"


def suspect(watch_id: str, now: datetime, sha256: str, ext: str = "html") -> str:
    return f"{watch_id}/suspect/{now.strftime(TIME)}-{sha256[:12]}.{ext}"


def outbox(watch_id: str) -> str:
    return f"{watch_id}/outbox"


def event(watch_id: str, event_id: str) -> str:
    return f"{outbox(watch_id)}/{event_id}.json"


def event_sent(watch_id: str, event_id: str, channel: str) -> str:
    return f"{outbox(watch_id)}/{event_id}.{channel}.sent"


def event_error(watch_id: str, event_id: str, channel: str) -> str:
    return f"{outbox(watch_id)}/{event_id}.{channel}.error"


def deliveries(channel: str) -> str:
    return f".channels/{channel}/deliveries"


def delivery(channel: str, key: str) -> str:
    return f"{deliveries(channel)}/{key}.json"


def channels() -> str:
    return ".channels"


def channel_records(channel: str) -> str:
    return f"{channels()}/{channel}"


def parts(channel: str, key: str) -> str:
    return f"{channel_records(channel)}/{key}.parts"


def shard(run_key: str, shard_key: str) -> str:
    return f".runs/{run_key}/{shard_key}.json"


def archived(watch_id: str, record_id: str) -> str:
    return f"{watch_id}/archive/{record_id}.json"


def archive_queue(watch_id: str) -> str:
    return f"{watch_id}/archive/queue"


def queued_save(watch_id: str, record_id: str) -> str:
    return f"{archive_queue(watch_id)}/{record_id}.json"


def pending() -> str:
    return ".pending"


def pending_channel(channel: str) -> str:
    return f"{pending()}/{channel}"


def pending_entry(channel: str, watch_id: str, event_id: str) -> str:
    """`~` never occurs in a watch id, so the name splits back into its two parts."""
    return f"{pending_channel(channel)}/{watch_id}~{event_id}"


def parse_pending_entry(name: str) -> tuple[str, str] | None:
    """(watch id, event id) from a pending entry's name; None for anything else."""
    watch_id, sep, event_id = name.partition("~")
    return (watch_id, event_id) if sep and watch_id and event_id else None


def pending_indexed() -> str:
    return f"{pending()}/.indexed"


def checks() -> str:
    return ".checks"


def checks_object(name: str) -> str:
    return f"{checks()}/{name}.json"


def compacted_events(watch_id: str) -> str:
    return f"{watch_id}/outbox-delivered.jsonl.gz"


def retention_mark() -> str:
    return ".retention.json"


def save_index() -> str:
    return ".archive-queue"


def save_index_entry(watch_id: str, record_id: str) -> str:
    return f"{save_index()}/{watch_id}~{record_id}"


def save_index_done() -> str:
    return f"{save_index()}/.indexed"
