"""`check --json` on translated editions: the corrected sentence alone, and its figure."""

from __future__ import annotations

import json
from pathlib import Path

from rightswatch.extract.text import normalize
from rightswatch.segment import to_ascii_digits
from tests.e2e.conftest import write_config
from tests.e2e.test_cli_check import run
from tests.i18n_pages import EDITIONS
from tests.loopback import Loopback

LANGS = ("zh-Hans", "ar", "ja", "fr")


def test_check_json_quotes_only_the_corrected_sentence_in_every_edition(
    tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str]
) -> None:
    watches = []
    for lang in LANGS:
        url = loopback.page(f"/{lang}", EDITIONS[lang].page().encode("utf-8"))
        watches.append((lang.replace("-", "").lower(), url, "hrw-world-report"))
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "snapshots", watches)
    first = run(["check", "--json", "--config", str(cfg)], prefect_env)
    assert first.returncode == 0, first.stderr
    for lang in LANGS:
        loopback.page(f"/{lang}", EDITIONS[lang].page(edited=True).encode("utf-8"))
    proc = run(["check", "--json", "--config", str(cfg)], prefect_env)
    assert proc.returncode == 0, proc.stderr
    by_id = {w["id"]: w for w in json.loads(proc.stdout)["watches"]}
    for lang in LANGS:
        edition = EDITIONS[lang]
        watch = by_id[lang.replace("-", "").lower()]
        assert watch["status"] == "changed", (lang, watch)
        [change] = watch["changes"]
        assert change["heading"] == edition.heading, lang
        [sentence] = change["sentences"]
        assert sentence["kind"] == "changed"
        assert sentence["old"] == normalize(edition.sentence), lang
        assert edition.new_figure in sentence["new"]
        [fact] = change["facts"]
        assert fact["kind"] == "changed"
        assert fact["type"] == "number"
        assert fact["old"].startswith(edition.old_figure), lang
        assert [to_ascii_digits(fact[k]).split()[0] for k in ("old", "new")] == ["140", "152"]
