"""Entry file that prefect.yaml names: the flows live in the package (rightswatch.flows)."""

from __future__ import annotations

from rightswatch.flows import check_all, deliver_all, monitor, shard

__all__ = ["check_all", "deliver_all", "monitor", "shard"]

if __name__ == "__main__":
    monitor()
