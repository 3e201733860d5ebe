"""Score the `generic` profile on the hand-labelled pages of benchmarks/generic_corpus/.

    python benchmarks/generic_eval.py [--before main] [--repeat 5]

Token precision, recall and F1 (bag of lower-cased words, averaged over pages) of the text the
profile's sections hold (headings from level 2 and paragraphs) against the labelled body; the
share of labelled headings found as section headings at the right level; and the median time
per page (parse included). Three systems in one run: the generic profile as it is at git ref
`--before`, as it is in this checkout, and trafilatura (plain text, which has no sections).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
import types
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from rightswatch.document import Section
from rightswatch.extract import extract, parse_html

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "generic_corpus"
URL = "https://example.org/page"
_WORD = re.compile(r"\w+")

System = Callable[[str], tuple[str, list[tuple[int, str]]]]  # html -> (text, headings)


def words(text: str) -> Counter[str]:
    return Counter(w.casefold() for w in _WORD.findall(text))


def _from_sections(sections: list[Section]) -> tuple[str, list[tuple[int, str]]]:
    headings = [(s.level, s.heading) for s in sections if s.level >= 2]
    text = "\n".join([h for _, h in headings] + [p for s in sections for p in s.paragraphs])
    return text, headings


def before(ref: str) -> System | None:
    """The generic profile's module as it stands at `ref`, run on this checkout's walk."""
    path = "src/rightswatch/extract/generic.py"
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{ref}:{path}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("generic_before")
    exec(compile(source, f"{ref}:{path}", "exec"), module.__dict__)
    return lambda page: _from_sections(module.extract_generic(parse_html(page), URL))


def after(page: str) -> tuple[str, list[tuple[int, str]]]:
    return _from_sections(extract(page, URL, profile="generic").sections)


def with_trafilatura(page: str) -> tuple[str, list[tuple[int, str]]]:
    return trafilatura.extract(page, include_comments=False, include_tables=True) or "", []


def score(label: dict[str, object], text: str, headings: list[tuple[int, str]]) -> list[float]:
    blocks: list[dict[str, object]] = label["blocks"]  # type: ignore[assignment]
    gold_text = [str(b["heading"]) for b in blocks if b["heading"]]
    gold_text += [str(p) for b in blocks for p in b["paragraphs"]]  # type: ignore[attr-defined]
    gold, got = words("\n".join(gold_text)), words(text)
    if got:  # a title line in the output is neither body nor chrome
        got -= words(str(label["title"])) if str(label["title"]) in text else Counter()
    hit = sum((gold & got).values())
    p = hit / max(1, sum(got.values()))
    r = hit / max(1, sum(gold.values()))
    wanted = [(int(b["level"]), str(b["heading"])) for b in blocks if b["heading"]]  # type: ignore[call-overload]
    kept = sum(1 for h in wanted if h in headings) / max(1, len(wanted))
    return [p, r, 2 * p * r / (p + r) if p + r else 0.0, kept]


def run(name: str, system: System, pages: list[tuple[str, dict[str, object]]], repeat: int) -> str:
    scores, times = [], []
    for page, label in pages:
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            text, headings = system(page)
            runs.append((time.perf_counter() - t0) * 1000)
        times.append(statistics.median(runs))
        scores.append(score(label, text, headings))
    p, r, f1, kept = (statistics.fmean(col) for col in zip(*scores, strict=True))
    worst = min(scores, key=lambda s: s[2])[2]
    ms = statistics.median(times)
    return f"| {name} | {p:.3f} | {r:.3f} | {f1:.3f} | {worst:.3f} | {kept:.2f} | {ms:.2f} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default="main", help="git ref of the 'before' generic profile")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    pages = [
        (path.read_text("utf-8"), json.loads(path.with_suffix(".json").read_text("utf-8")))
        for path in sorted(CORPUS.glob("*.html"))
    ]
    if not pages:
        raise SystemExit(f"no pages in {CORPUS}: run benchmarks/generic_corpus.py first")
    print(f"{len(pages)} labelled pages, {args.repeat} runs each, Python {sys.version.split()[0]}")
    print("\n| system | precision | recall | F1 | worst page F1 | headings kept | median ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    old = before(args.before)
    if old is not None:
        print(run(f"generic, before ({args.before})", old, pages, args.repeat))
    print(run("generic, this checkout", after, pages, args.repeat))
    print(run(f"trafilatura {trafilatura.__version__}", with_trafilatura, pages, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
