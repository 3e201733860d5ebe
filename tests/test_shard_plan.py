"""Host-affine shards: a host's watches stay together, big hosts first, balanced by work."""

from __future__ import annotations

from rightswatch.config import Watch
from rightswatch.shard import plan_shards


def _watches(hosts: dict[str, int]) -> list[Watch]:
    return [
        Watch(id=f"{host.replace('.', '-')}-{n}", url=f"https://{host}/r/{n}")
        for host, count in hosts.items()
        for n in range(count)
    ]


def test_every_host_lands_in_exactly_one_shard_and_the_shards_are_balanced() -> None:
    watches = _watches(
        {"www.hrw.org": 40, "www.amnesty.org": 30, "www.state.gov": 20, "a.org": 9, "b.org": 1}
    )
    shards = plan_shards(watches, 3)
    assert len(shards) == 3
    hosts = [{w.url.split("/")[2] for w in shard} for shard in shards]
    assert sum(len(h) for h in hosts) == 5  # no host is split
    assert sorted(len(s) for s in shards) == [30, 30, 40]
    assert sorted(w.id for s in shards for w in s) == sorted(w.id for w in watches)
    for shard in shards:  # config order within a shard
        order = [watches.index(w) for w in shard]
        assert order == sorted(order)


def test_fewer_hosts_than_shards_give_fewer_shards() -> None:
    assert len(plan_shards(_watches({"www.hrw.org": 10}), 4)) == 1
    assert plan_shards([], 3) == [[]]
