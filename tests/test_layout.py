"""File locations are a contract: every path store/layout.py gives is the one outside scripts
already rely on, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime

from rightswatch.store import layout

AT = datetime(2021, 1, 13, 10, 0, 5, 123456, tzinfo=UTC)


def test_every_path_in_the_store_is_where_it_always_was() -> None:
    assert layout.doc("kz", "ab" * 32) == f"kz/docs/{'ab' * 32}.json.gz"
    assert layout.raw("kz", "cd" * 32) == f"kz/raw/{'cd' * 32}.html.gz"
    assert layout.snapshot("kz", "r1") == "kz/snapshots/r1.json"
    assert layout.state("kz") == "kz/state.json"
    assert layout.lock("kz") == "kz/.lock"
    assert layout.index("kz") == "kz/index.json"
    assert layout.report("kz", AT) == "kz/reports/20210113T100005Z.html"
    assert layout.report("kz", AT, "0123abcd") == "kz/reports/20210113T100005Z-vs-0123abcd.html"
    assert layout.suspect("kz", AT, "ef" * 32) == "kz/suspect/20210113T100005Z-efefefefefef.html"
    assert layout.event("kz", "change-a-b") == "kz/outbox/change-a-b.json"
    assert layout.event_sent("kz", "e", "slack") == "kz/outbox/e.slack.sent"
    assert layout.event_error("kz", "e", "slack") == "kz/outbox/e.slack.error"
    assert layout.channel_lock("slack") == ".channels/slack.lock"
    assert layout.delivery("slack", "k") == ".channels/slack/deliveries/k.json"
    assert layout.parts("slack", "k") == ".channels/slack/k.parts"
    assert layout.shard("run", "s1") == ".runs/run/s1.json"
    assert layout.archived("kz", "r1") == "kz/archive/r1.json"
    assert layout.queued_save("kz", "r1") == "kz/archive/queue/r1.json"


def test_a_record_id_reads_back_to_its_time_and_a_lock_to_its_limit() -> None:
    record = layout.record_id(AT, "0123456789abcdef")
    assert record == "20210113T100005123456Z-0123456789ab"
    assert layout.record_time(record) == AT
    assert layout.record_time(None) == datetime.fromtimestamp(0, UTC)
    assert layout.lock_owner(layout.lock("kz")) == "watch:kz"
    assert layout.lock_owner(layout.channel_lock("team-slack")) == "channel:team-slack"


def test_the_paths_issue_15_added_and_how_a_pending_entry_reads_back() -> None:
    assert layout.pending_entry("slack", "kz", "change-a-b") == ".pending/slack/kz~change-a-b"
    assert layout.parse_pending_entry("kz~change-a-b") == ("kz", "change-a-b")
    assert layout.parse_pending_entry(".indexed") is None
    assert layout.pending_indexed() == ".pending/.indexed"
    assert layout.checks_object("20260101T000000Z-ab") == ".checks/20260101T000000Z-ab.json"
    assert layout.compacted_events("kz") == "kz/outbox-delivered.jsonl.gz"
    assert layout.save_index_entry("kz", "r1") == ".archive-queue/kz~r1"
    assert layout.retention_mark() == ".retention.json"
    assert layout.parts("slack", "k") == f"{layout.channel_records('slack')}/k.parts"
