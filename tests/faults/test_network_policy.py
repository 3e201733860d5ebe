"""Nobody can turn rightswatch against the network it runs in (issue 17): acceptance on loopback.

Two kinds of test:
- Real classification: servers on 127.0.0.1, .2 and .3 stand for three hosts. The watch's own
  configured host (127.0.0.1) is trusted because the user named it; .2 and .3 are loopback
  addresses nobody named, so the real policy refuses them.
- A resolver the test controls: names such as reports.example resolve to loopback addresses,
  and the policy's classifier treats 127.0.0.1 as a *public* address (it stands for one) while
  127.0.0.2 keeps its real class (loopback: refused). The watch's host is reports.example, so
  rule (a) trusts that name only; intranet.example (→ 127.0.0.2) is the private host.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rightswatch.check import CheckContext, WatchResult, check_watch
from rightswatch.config import WATCH_ID, Config, parse_config
from rightswatch.deliver import deliver_channel
from rightswatch.discover import discovered_watches, load_index
from rightswatch.fetch import Fetcher
from rightswatch.netpolicy import AddressPolicy, address_rule
from rightswatch.store import open_store
from rightswatch.summary import RunSummary
from tests.e2e.conftest import FIXTURES
from tests.loopback import Loopback, Reply, serving

KZ = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
CHAPTER = "/world-report/2021/country-chapters/"
PUBLIC = ipaddress.ip_address("127.0.0.1")


@pytest.fixture
def two() -> Iterator[Loopback]:
    with serving("127.0.0.2") as server:
        yield server


@pytest.fixture
def three() -> Iterator[Loopback]:
    with serving("127.0.0.3") as server:
        yield server


def _config(tmp_path: Path, url: str, extra: str = "", watch: str = "") -> Config:
    return parse_config(
        f"snapshots: {tmp_path / 's'}\n"
        f"fetch: {{per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false{extra}}}\n"
        f"watches:\n  - {{id: w, url: '{url}'{watch}}}\n"
    )


def _index_cfg(tmp_path: Path, url: str, extra: str = "", watch: str = "") -> Config:
    return _config(
        tmp_path,
        url,
        extra,
        f", kind: index, link_pattern: 'country-chapters/', auto_watch: true{watch}",
    )


def _ctx(config: Config, policy: AddressPolicy | None = None) -> CheckContext:
    fetcher = Fetcher(config.fetch, policy=policy)
    return CheckContext(config=config, store=open_store(config.snapshots), fetcher=fetcher)


def _index(links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return f"<html><head><title>World Report</title></head><body><main><ul>{items}</ul></main>"


def _chapter(title: str) -> bytes:
    return KZ.replace(b"World Report 2021: Kazakhstan", title.encode())


def _paths(server: Loopback) -> list[str]:
    return [s.path for s in server.seen]


# Real classification: 127.0.0.1 is the watch's host, .2 and .3 are hosts nobody named. ----------


def test_an_index_follows_its_own_host_and_never_requests_another(
    tmp_path: Path, loopback: Loopback, two: Loopback, capsys: pytest.CaptureFixture[str]
) -> None:
    loopback.page(CHAPTER + "kazakhstan", KZ)
    two.page(CHAPTER + "russia", _chapter("World Report 2021: Russia"))
    elsewhere = two.url(CHAPTER + "russia")
    url = loopback.page(
        "/wr", _index([(CHAPTER + "kazakhstan", "Kazakhstan"), (elsewhere, "Russia")])
    )
    ctx = _ctx(_index_cfg(tmp_path, url))
    result = check_watch(ctx.config.watches[0], ctx)
    assert result.status == "baseline", result.error
    [watched] = discovered_watches(ctx.config, ctx.store)
    assert watched.url == loopback.url(CHAPTER + "kazakhstan")
    assert check_watch(watched, ctx).status == "baseline"  # the same-host chapter is followed
    assert _paths(two) == []  # not the page, not robots.txt: nothing reached 127.0.0.2

    [refused] = result.refused_links
    assert refused.url == elsewhere
    assert f"127.0.0.2:{two.port} is not the index's own host" in refused.reason
    assert "link_hosts" in refused.reason
    now = datetime.now(UTC)
    report = RunSummary(started_at=now, finished_at=now, watches=[result]).as_json()
    assert report["watches"][0]["refused_links"] == [{"url": elsewhere, "reason": refused.reason}]
    [notice] = [e for e in ctx.outbox.events("w") if e.kind == "refused"]
    assert notice.url == elsewhere
    assert refused.reason in (notice.message or "")
    assert check_watch(ctx.config.watches[0], ctx).refused_links == [refused]  # every run...
    assert len([e for e in ctx.outbox.events("w") if e.kind == "refused"]) == 1  # ...one notice
    assert _paths(two) == []
    assert deliver_channel("console", ctx.config, ctx.outbox).status == "sent"
    printed = " ".join(capsys.readouterr().out.split())
    assert "link not followed: Russia" in printed
    assert elsewhere in printed
    assert "is not the index's own host" in printed


def test_a_redirect_to_another_loopback_address_is_refused_at_the_hop(
    tmp_path: Path, loopback: Loopback, three: Loopback
) -> None:
    target = three.page("/admin", KZ)
    url = loopback.route("/page", Reply(302, b"", {"Location": target}))
    ctx = _ctx(_config(tmp_path, url))
    result = check_watch(ctx.config.watches[0], ctx)
    assert result.status == "error"
    assert not result.retryable
    assert result.error == (
        f"{url}: refused at redirect 1 to {target}: 127.0.0.3 is a loopback address; "
        "set fetch.allow_private: true if this is intended"
    )
    assert _paths(three) == []
    assert ctx.store.history("w") == []
    assert ctx.store.state("w").last_status == "error"


def test_with_allow_private_the_redirect_is_followed(
    tmp_path: Path, loopback: Loopback, three: Loopback
) -> None:
    target = three.page("/admin", KZ)
    url = loopback.route("/page", Reply(302, b"", {"Location": target}))
    ctx = _ctx(_config(tmp_path, url, ", allow_private: true"))
    result = check_watch(ctx.config.watches[0], ctx)
    assert result.status == "baseline", result.error
    assert _paths(three) == ["/admin"]
    assert len(ctx.store.history("w")) == 1


def test_a_redirect_to_another_port_of_the_watched_host_is_not_trusted(
    tmp_path: Path, loopback: Loopback
) -> None:
    with serving("127.0.0.1") as admin:
        target = admin.page("/console", KZ)
        url = loopback.route("/page", Reply(301, b"", {"Location": target}))
        result = check_watch(_config(tmp_path, url).watches[0], _ctx(_config(tmp_path, url)))
        assert result.status == "error"
        assert "127.0.0.1 is a loopback address" in str(result.error)
        assert _paths(admin) == []


# A resolver the test controls: 127.0.0.1 stands for a public address. ---------------------------


class Dns:
    """Names to addresses, with an optional different answer after the first lookup."""

    def __init__(self, names: dict[str, list[str]], later: dict[str, list[str]]) -> None:
        self.names, self.later = names, later
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:  # noqa: ARG002 - the Resolver signature
        seen = host in self.lookups
        self.lookups.append(host)
        if seen and host in self.later:
            return self.later[host]
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, host)
        return self.names[host]


def _classify(ip: Any) -> str | None:
    return None if ip == PUBLIC else address_rule(ip)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    """The test's DNS, also behind socket.getaddrinfo: any second lookup gets its answer."""
    names = {
        "reports.example": ["127.0.0.1"],
        "other.example": ["127.0.0.1"],
        "intranet.example": ["127.0.0.2"],
        "rebind.example": ["127.0.0.1"],
    }
    resolver = Dns(names, later={"rebind.example": ["127.0.0.2"]})
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".example"):
            host = resolver(host, int(port or 0))[0]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return resolver


def _policy(dns: Dns, allow_private: bool = False) -> AddressPolicy:
    return AddressPolicy(allow_private=allow_private, resolver=dns, classify=_classify)


Named = Callable[[str, Loopback, str], str]


def _named(host: str, server: Loopback, path: str) -> str:
    return f"http://{host}:{server.port}{path}"


def test_resolver_index_links_to_a_private_address_and_another_host_are_not_fetched(
    tmp_path: Path, loopback: Loopback, dns: Dns
) -> None:
    private = f"http://10.0.0.5{CHAPTER}intranet"
    other = _named("other.example", loopback, CHAPTER + "other")
    loopback.page(CHAPTER + "kazakhstan", KZ)
    loopback.page(CHAPTER + "other", KZ)
    html = _index([(CHAPTER + "kazakhstan", "KZ"), (private, "Intranet"), (other, "Other")])
    loopback.page("/wr", html)
    config = _index_cfg(tmp_path, _named("reports.example", loopback, "/wr"))
    ctx = _ctx(config, _policy(dns))
    result = check_watch(config.watches[0], ctx)
    assert result.status == "baseline", result.error
    reasons = {r.url: r.reason for r in result.refused_links}
    assert set(reasons) == {private, other}
    assert "(a private address (RFC 1918))" in reasons[private]
    assert "other.example" in reasons[other]
    assert "other.example" not in dns.lookups
    assert CHAPTER + "other" not in _paths(loopback)
    [watched] = discovered_watches(config, ctx.store)
    assert check_watch(watched, ctx).status == "baseline"


def test_resolver_a_redirect_to_a_private_host_is_refused_and_allow_private_follows_it(
    tmp_path: Path, loopback: Loopback, two: Loopback, dns: Dns
) -> None:
    two.page("/secret", KZ)
    target = _named("intranet.example", two, "/secret")
    loopback.route("/page", Reply(302, b"", {"Location": target}))
    url = _named("reports.example", loopback, "/page")
    result = check_watch(
        _config(tmp_path, url).watches[0], _ctx(_config(tmp_path, url), _policy(dns))
    )
    assert result.status == "error"
    assert not result.retryable
    assert "intranet.example resolves to 127.0.0.2, 127.0.0.2 is a loopback address" in str(
        result.error
    )
    assert _paths(two) == []
    config = _config(tmp_path / "open", url, ", allow_private: true")
    followed = check_watch(config.watches[0], _ctx(config, _policy(dns, allow_private=True)))
    assert followed.status == "baseline", followed.error
    assert _paths(two) == ["/secret"]


def test_resolver_dns_rebinding_connects_to_the_checked_address_only(
    tmp_path: Path, loopback: Loopback, dns: Dns
) -> None:
    with serving("127.0.0.2", port=loopback.port) as private:  # rebind.example's second answer
        private.page("/page", b"<html><title>internal</title></html>")
        loopback.page("/page", KZ)
        loopback.route(
            "/start", Reply(302, b"", {"Location": f"http://rebind.example:{loopback.port}/page"})
        )
        url = _named("reports.example", loopback, "/start")
        result = check_watch(
            _config(tmp_path, url).watches[0], _ctx(_config(tmp_path, url), _policy(dns))
        )
        assert result.status == "baseline", result.error
        assert result.title == "World Report 2021: Kazakhstan"
        assert _paths(private) == []
        assert "/page" in _paths(loopback)
        assert dns.lookups.count("rebind.example") == 1  # checked once, connected to that answer
        # A second fetch looks again: now the name is private, and the policy refuses it.
        again = check_watch(
            _config(tmp_path, url).watches[0], _ctx(_config(tmp_path, url), _policy(dns))
        )
        assert again.status == "error"
        assert "rebind.example resolves to 127.0.0.2" in str(again.error)
        assert _paths(private) == []


def test_allow_private_and_link_hosts_let_an_index_follow_an_intranet_host(
    tmp_path: Path, loopback: Loopback, two: Loopback, dns: Dns
) -> None:
    two.page(CHAPTER + "intranet", KZ)
    link = _named("intranet.example", two, CHAPTER + "intranet")
    loopback.page("/wr", _index([(link, "Intranet")]))
    url = _named("reports.example", loopback, "/wr")
    hosts = f", link_hosts: ['intranet.example:{two.port}']"
    config = _index_cfg(tmp_path, url, ", allow_private: true", hosts)
    ctx = _ctx(config, _policy(dns, allow_private=True))
    assert check_watch(config.watches[0], ctx).refused_links == []
    [watched] = discovered_watches(config, ctx.store)
    assert check_watch(watched, ctx).status == "baseline"
    assert _paths(two) == [CHAPTER + "intranet"]
    # Without allow_private: a host in link_hosts is one the user named, so its discovered
    # pages are trusted like the index's own host (rule a), while a redirect away is not.
    strict = _index_cfg(tmp_path / "strict", url, "", hosts)
    sctx = _ctx(strict, _policy(dns))
    check_watch(strict.watches[0], sctx)
    [page] = discovered_watches(strict, sctx.store)
    assert check_watch(page, sctx).status == "baseline"  # its own (vetted) host: rule (a)


def test_a_hostile_title_and_link_yield_a_slug_id_inside_the_store(
    tmp_path: Path, loopback: Loopback, dns: Dns
) -> None:
    evil = "../../etc/passwd"
    href = CHAPTER + "..%2F..%2Fetc%2Fpasswd"
    loopback.page(href, _chapter(evil))
    loopback.page("/wr", _index([(href, evil), (CHAPTER + "../../../etc/passwd", evil)]))
    config = _index_cfg(tmp_path, _named("reports.example", loopback, "/wr"))
    ctx = _ctx(config, _policy(dns))
    check_watch(config.watches[0], ctx)
    state = load_index(ctx.store, "w")
    assert state is not None
    assert state.discovered
    for item in state.discovered:
        assert WATCH_ID.fullmatch(item.id)
        assert ".." not in item.id
        assert "/" not in item.id
    for watched in discovered_watches(config, ctx.store):
        result: WatchResult = check_watch(watched, ctx)
        assert result.status == "baseline", result.error
    store = (tmp_path / "s").resolve()
    assert all(store in p.resolve().parents for p in store.rglob("*"))
    assert not (tmp_path / "etc").exists()


def test_max_auto_watches_bounds_the_pages_one_index_adds(
    tmp_path: Path, loopback: Loopback
) -> None:
    names = ["a", "b", "c", "d", "e"]
    for name in names:
        loopback.page(CHAPTER + name, _chapter(f"World Report 2021: {name.upper()}"))
    url = loopback.page("/wr", _index([(CHAPTER + n, n) for n in names[:3]]))
    config = _index_cfg(tmp_path, url, watch=", max_auto_watches: 2")
    ctx = _ctx(config)
    first = check_watch(config.watches[0], ctx)
    assert [w.url for w in discovered_watches(config, ctx.store)] == [
        loopback.url(CHAPTER + n) for n in names[:2]
    ]
    assert [r.url for r in first.refused_links] == [loopback.url(CHAPTER + "c")]
    assert "over max_auto_watches (2)" in first.refused_links[0].reason
    loopback.page("/wr", _index([(CHAPTER + n, n) for n in names]))
    later = check_watch(config.watches[0], ctx)
    assert later.status == "changed"
    assert later.publications == ["d", "e"]
    assert len(discovered_watches(config, ctx.store)) == 2  # ...not watched
    assert loopback.requests_to(CHAPTER + "d") == []
    [notice, _] = [e for e in ctx.outbox.events("w") if e.kind == "publication"]
    assert "not watched" in (notice.message or "")
    assert "max_auto_watches" in (notice.message or "")
