"""The run summary: what `check --json` prints and the flow returns. Its shape is a contract.

("Report" in rightswatch means only the HTML change report; see check.write_change_report.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from rightswatch.check import WatchResult
from rightswatch.config import ConsoleChannel
from rightswatch.deliver import DeliveryResult
from rightswatch.digest import Digest, build_digest
from rightswatch.render import change_dict, digest_markdown
from rightswatch.render.escape import md_escape

__all__ = ["RunSummary", "exit_code"]

FAILED = ("error", "suspect")


def exit_code(report: dict[str, Any]) -> int:
    """0 when every watch was checked (changed or not); 1 when any errored or was suspect."""
    return 1 if any(w["status"] in FAILED for w in report["watches"]) else 0


class RunSummary(BaseModel):
    started_at: datetime
    finished_at: datetime
    watches: list[WatchResult]
    deliveries: list[DeliveryResult] = []

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for watch in self.watches:
            out[watch.status] = out.get(watch.status, 0) + 1
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "watches": [
                {
                    "id": w.id,
                    "url": w.url,
                    "title": w.title,
                    "status": w.status,
                    "changes": [change_dict(c) for c in w.changes],
                    "minor": w.minor,
                    "error": w.error,
                    "snapshot": w.snapshot,
                    "not_modified": w.not_modified,
                    "publications": w.publications,
                    "refused_links": [r.model_dump() for r in w.refused_links],
                }
                for w in self.watches
            ],
            "deliveries": [
                d.model_dump(mode="json", exclude={"retryable"}) for d in self.deliveries
            ],
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "counts": self.counts(),
        }

    def digest(self, report_base_url: str | None = None) -> Digest:
        """Everything this run found, unfiltered, for the artifact and the summary."""
        events = [w.event for w in self.watches if w.event is not None]
        return build_digest("run", ConsoleChannel(type="console"), events, report_base_url)

    def markdown(self, report_base_url: str | None = None) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts().items()))
        lines = [
            f"# rightswatch run, {self.finished_at:%Y-%m-%d %H:%M} UTC",
            "",
            counts or "no watches",
            "",
        ]
        problems = [w for w in self.watches if w.error]
        if problems:
            lines += ["## Problems", ""]
            lines += [
                f"- **{md_escape(w.id)}** ({w.status}): {md_escape(w.error or '')}"
                for w in problems
            ]
            lines.append("")
        body = digest_markdown(self.digest(report_base_url)).strip()
        lines += ["## Changes", "", body or "No changes in this run."]
        return "\n".join(lines) + "\n"
