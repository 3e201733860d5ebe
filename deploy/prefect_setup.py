"""Prefect objects of a production rightswatch: Secret blocks and the failure alert.

    python deploy/prefect_setup.py secrets slack-webhook=SLACK_URL smtp-password=SMTP_PASSWORD
    python deploy/prefect_setup.py alerts

`secrets` saves each named environment variable's value as a Prefect Secret block, which the
config then names as `prefect-secret:slack-webhook`; values never touch a file. `alerts`
creates a notification block from ALERT_SLACK_WEBHOOK_URL (a Slack incoming webhook) or
ALERT_WEBHOOK_URL (any URL, sent a JSON body), and an automation that uses it whenever a
rightswatch flow run fails or crashes. Both are safe to run again.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

FLOWS = ["rightswatch-monitor", "rightswatch-shard"]
AUTOMATION = "rightswatch: a flow run failed"
ALERT_BLOCK = "rightswatch-alerts"


def save_secrets(pairs: list[str]) -> None:
    from prefect.blocks.system import Secret

    for pair in pairs:
        block, sep, variable = pair.partition("=")
        if not sep or not block or not variable:
            sys.exit(f"secrets: {pair!r} should be BLOCK=ENV_VAR, e.g. slack-webhook=SLACK_URL")
        value = os.environ.get(variable)
        if not value:
            sys.exit(f"secrets: environment variable {variable} is not set (for block {block})")
        Secret(value=value).save(block, overwrite=True)
        print(f"saved Secret block {block!r} from ${variable}")


def _alert_block() -> Any:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock, SlackWebhook

    slack = os.environ.get("ALERT_SLACK_WEBHOOK_URL")
    if slack:
        return SlackWebhook(url=slack)
    url = os.environ.get("ALERT_WEBHOOK_URL")
    if url:
        return CustomWebhookNotificationBlock(
            name=ALERT_BLOCK,
            url=url,
            json_data={"text": "{{subject}}\n{{body}}", "source": "rightswatch"},
        )
    sys.exit("alerts: set ALERT_SLACK_WEBHOOK_URL or ALERT_WEBHOOK_URL to say where alerts go")


def create_alerts() -> None:
    from prefect.automations import Automation
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    block_id = _alert_block().save(ALERT_BLOCK, overwrite=True)
    with contextlib.suppress(ValueError):  # replace it, so a rerun never sends twice
        Automation.read(name=AUTOMATION).delete()
    Automation(
        name=AUTOMATION,
        description="Alert when a rightswatch flow run fails or crashes: pages went unchecked.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": FLOWS},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[
            SendNotification(
                block_document_id=block_id,
                subject="rightswatch: flow run {{ flow_run.name }} {{ flow_run.state.name }}",
                body=(
                    "Flow {{ flow.name }}, run {{ flow_run.name }} ended "
                    "{{ flow_run.state.name }}: {{ flow_run.state.message }}. "
                    "Pages in it were not checked; see its logs in the Prefect UI."
                ),
            )
        ],
    ).create()
    print(f"created automation {AUTOMATION!r} with notification block {ALERT_BLOCK!r}")


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("secrets", "alerts"):
        sys.exit(__doc__)
    if argv[0] == "secrets":
        save_secrets(argv[1:])
    else:
        create_alerts()


if __name__ == "__main__":
    main(sys.argv[1:])
