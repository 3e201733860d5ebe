"""Build the generic profile's evaluation set: pages without a publisher profile, hand-labelled.

    python benchmarks/generic_corpus.py   # writes generic_corpus/NN-layout.{html,json}

Eight layouts seen on watched pages without a profile (news article, NGO statement, UN
treaty-body page, ministry press release, blog with comments, div-soup page with a sidebar,
<main> holding related stories and a newsletter box, a page whose cookie banner and footer carry
long paragraphs), each with four texts of our own. The label beside each page (.json) is the
body a reader means: its headings (level and text) and paragraphs, in order, without the title.
The chrome is written to be hard: teasers, comments and sidebars are full sentences too.
"""

from __future__ import annotations

import html
import json
import random
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "generic_corpus"
SUBJECTS = [
    "The prosecutor's office",
    "The interior ministry",
    "A district court",
    "Police",
    "The national human rights commission",
    "Border guards",
    "The parliament",
    "Prison authorities",
    "The election commission",
    "Local officials",
]
VERBS = [
    "detained",
    "fined",
    "questioned",
    "released",
    "charged",
    "sentenced",
    "deported",
    "summoned",
    "acquitted",
    "monitored",
]
OBJECTS = [
    "peaceful protesters",
    "two journalists",
    "a trade union leader",
    "asylum seekers",
    "opposition activists",
    "a human rights lawyer",
    "striking oil workers",
    "bloggers",
    "relatives of detainees",
    "students",
]
TAILS = [
    "after a rally in the capital",
    "under the law on public assemblies",
    "without access to a lawyer",
    "for posts about the pandemic",
    "despite a ruling by the constitutional court",
    "in the first nine months of the year",
    "following a complaint by the governor",
    "on charges of spreading false information",
]
TOPICS = [
    ("Kazakhstan", "assembly"),
    ("Uzbekistan", "labour"),
    ("Kyrgyzstan", "media"),
    ("Tajikistan", "detention"),
]
HEADINGS = [
    "Background",
    "Findings",
    "Freedom of Assembly",
    "Detention Conditions",
    "Recommendations",
    "Response of the Authorities",
    "Legal Framework",
    "Next Steps",
]

Block = tuple[str, str | int]  # ("h", level) pairs precede their text; ("p", text)


def _sentence(rng: random.Random) -> str:
    n = rng.randint(2, 480)
    return (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {n} {rng.choice(OBJECTS)} {rng.choice(TAILS)}."
    )


def _para(rng: random.Random, n: int | None = None) -> str:
    return " ".join(_sentence(rng) for _ in range(n or rng.randint(2, 5)))


def _body(rng: random.Random, sections: int) -> list[tuple[int, str, list[str]]]:
    heads = rng.sample(HEADINGS, sections)
    intro = (0, "", [_para(rng) for _ in range(rng.randint(1, 2))])
    parts = [
        (rng.choice((2, 2, 3)), h, [_para(rng) for _ in range(rng.randint(1, 3))]) for h in heads
    ]
    return [intro, *parts]


def _render_body(body: list[tuple[int, str, list[str]]], ptag: str = "p") -> str:
    out = []
    for level, heading, paras in body:
        if heading:
            out.append(f"<h{level}>{html.escape(heading)}</h{level}>")
        items = "".join(f"<{ptag}>{html.escape(p)}</{ptag}>" for p in paras)
        out.append(f"<ol>{items}</ol>" if ptag == "li" else items)
    return "\n".join(out)


def _teasers(rng: random.Random, n: int, cls: str = "teaser") -> str:
    items = "".join(
        f'<li><a href="/news/{rng.randint(1, 999)}">{html.escape(_sentence(rng))}</a>'
        f'<p class="{cls}">{html.escape(_para(rng, 1))}</p></li>'
        for _ in range(n)
    )
    return f"<ul>{items}</ul>"


def _nav(_rng: random.Random) -> str:
    links = "".join(
        f'<li><a href="/{w.lower()}">{w}</a></li>'
        for w in ("Home", "News", "Reports", "Countries", "About", "Contact")
    )
    return f"<nav class='menu'><ul>{links}</ul></nav>"


COOKIE = (
    "<div class='consent-bar'><p>This website uses cookies and similar technologies to "
    "measure traffic and improve your experience; by continuing you accept our use of "
    "cookies as described in our privacy notice.</p><button>OK</button></div>"
)
FOOTER = (
    "<footer><p>Our organisation is an independent, non-profit group that documents "
    "abuses and advocates for victims in more than forty countries around the world.</p>"
    "<p>© 2026 All rights reserved. Registered charity number 1234567.</p></footer>"
)


def news(rng: random.Random, title: str, body: str) -> str:
    return (
        f"<header>{_nav(rng)}</header><main><article><h1>{title}</h1>"
        f"<p class='byline'>By Staff Reporter, 12 March 2026</p>{body}"
        "<figure><img src='/a.jpg' alt=''>"
        "<figcaption>Protesters outside the court.</figcaption></figure>"
        f"</article><aside class='related'><h2>Related stories</h2>{_teasers(rng, 4)}</aside>"
        f"</main>{FOOTER}"
    )


def ngo_statement(rng: random.Random, title: str, body: str) -> str:
    return (
        f"<div id='top'>{_nav(rng)}</div><div id='content'><div class='statement'>"
        f"<h1>{title}</h1><div class='date'>Joint statement, 4 February 2026</div>{body}"
        "<div class='signatories'><h3>Signatories</h3>"
        "<ul><li>Group A</li><li>Group B</li></ul></div>"
        f"</div><div class='sidebar'><h3>About us</h3><p>{_para(rng, 2)}</p>"
        f"<h3>Latest statements</h3>{_teasers(rng, 3)}</div></div>"
        f"<div class='bottom'><p>{_para(rng, 2)}</p></div>"
    )


def un_treaty_body(rng: random.Random, title: str, body: str) -> str:
    crumbs = "<div class='breadcrumb'><a href='/'>OHCHR</a> › <a href='/tb'>Treaty bodies</a></div>"
    return (
        f"<div class='ms-header'>{_nav(rng)}</div>{crumbs}<table class='layout'><tr>"
        f"<td class='leftnav'><ul><li><a href='/cat'>CAT</a></li><li><a href='/ccpr'>CCPR</a>"
        f"</li><li><a href='/cedaw'>CEDAW</a></li></ul></td><td class='ms-rtestate-field'>"
        f"<h1>{title}</h1>{body}</td></tr></table>"
        f"<div class='ms-footer'><p>{_para(rng, 1)}</p></div>"
    )


def ministry(rng: random.Random, title: str, body: str) -> str:
    return (
        f"{COOKIE}<div class='page'>{_nav(rng)}<div class='press-release'><h1>{title}</h1>"
        f"<p class='meta'>Press release · Ministry of Foreign Affairs</p>{body}"
        f"<div class='media-contacts'><h4>Media contacts</h4><p>Press office, +1 555 0100, "
        f"press@example.gov, available on weekdays from nine to five.</p></div>"
        f"<div class='share-tools'>Share: X Facebook Email</div></div>"
        f"<div class='more-releases'><h2>More press releases</h2>{_teasers(rng, 5)}</div></div>"
    )


def blog(rng: random.Random, title: str, body: str) -> str:
    comments = "".join(
        f"<article class='comment'><p class='author'>Reader {i}</p><p>{_para(rng, 2)}</p></article>"
        for i in range(4)
    )
    return (
        f"<div class='wrap'><header class='masthead'>{_nav(rng)}</header>"
        f"<article class='post'><h1>{title}</h1>{body}</article>"
        f"<section id='comments'><h2>4 comments</h2>{comments}</section>"
        "<div class='widget-area'><div class='widget'><h3>Archives</h3>"
        f"<p>{_para(rng, 1)}</p></div></div>"
        f"</div>{FOOTER}"
    )


def div_soup(rng: random.Random, title: str, body: str) -> str:
    return (
        f"<div class='row'>{_nav(rng)}</div><div class='row'><div class='col-md-8'>"
        f"<h1>{title}</h1>{body}</div><div class='col-md-4'><h3>Most read</h3>{_teasers(rng, 5)}"
        f"<div class='box'><p>{_para(rng, 2)}</p></div></div></div>"
        f"<div class='row'><p>{_para(rng, 1)}</p></div>"
    )


def main_with_chrome(rng: random.Random, title: str, body: str) -> str:
    return (
        f"<header>{_nav(rng)}</header><main><h1>{title}</h1>{body}"
        f"<div class='newsletter-box'><h3>Stay informed</h3><p>Sign up to receive our "
        f"weekly briefing on human rights around the world, straight to your inbox.</p></div>"
        f"<section class='more-from'><h2>More from this region</h2>{_teasers(rng, 4)}</section>"
        f"</main>{FOOTER}"
    )


def banner_footer(rng: random.Random, title: str, body: str) -> str:
    return (
        f"{COOKIE}<div id='page'><div class='article-content'><h1>{title}</h1>{body}</div>"
        f"</div><div id='site-info'><p>{_para(rng, 3)}</p><p>{_para(rng, 2)}</p></div>"
    )


LAYOUTS: dict[str, Callable[[random.Random, str, str], str]] = {
    "news": news,
    "ngo-statement": ngo_statement,
    "un-treaty-body": un_treaty_body,
    "ministry-press-release": ministry,
    "blog-comments": blog,
    "div-soup-sidebar": div_soup,
    "main-with-chrome": main_with_chrome,
    "cookie-banner-footer": banner_footer,
}


def build() -> list[tuple[str, str, dict[str, object]]]:
    pages: list[tuple[str, str, dict[str, object]]] = []
    for n, (layout, render) in enumerate(LAYOUTS.items()):
        for k, (country, topic) in enumerate(TOPICS):
            rng = random.Random(n * 10 + k)
            title = f"{country}: new findings on {topic} rights"
            body = _body(rng, rng.randint(2, 4))
            ptag = "li" if layout == "un-treaty-body" and k % 2 else "p"
            inner = _render_body(body, ptag)
            page = (
                f"<!DOCTYPE html><html lang='en'><head><title>{title} | Example</title>"
                f"</head><body>{render(rng, html.escape(title), inner)}</body></html>"
            )
            label: dict[str, object] = {
                "title": title,
                "layout": layout,
                "blocks": [{"heading": h, "level": lv, "paragraphs": ps} for lv, h, ps in body],
            }
            pages.append((f"{len(pages):02d}-{layout}", page, label))
    return pages


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, page, label in build():
        (OUT / f"{name}.html").write_text(page, encoding="utf-8")
        (OUT / f"{name}.json").write_text(json.dumps(label, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(LAYOUTS) * len(TOPICS)} pages to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
