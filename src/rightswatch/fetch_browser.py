"""`render: browser`: a page rendered by headless Chromium (Debian's, through Playwright).

One browser serves a whole run. Playwright objects belong to the thread that made them, while
checks run on a thread pool, so the browser lives on one event-loop thread of its own and each
render is a coroutine submitted to it; a semaphore bounds how many pages render at once
(fetch.browser_concurrency). robots.txt and the per-host limits are applied by the Fetcher
before a render starts; the page's own requests pass `may_request` or are aborted.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from rightswatch.config import FetchSettings
from rightswatch.fetch import HTML_TYPES, FetchError
from rightswatch.page import Page, Validators

__all__ = ["CHROMIUM_ARGS", "BrowserRenderer", "RequestPolicy", "request_allowed"]

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
# A further check every request of a rendered page must pass (e.g. an address policy).
RequestPolicy = Callable[[str], bool]


def _host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.lower().strip()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) or host == pattern[2:]
    return host == pattern


def request_allowed(url: str, page_url: str, allow: Sequence[str]) -> bool:
    """Whether a rendered page may make this request: its own host, inline data, or a host
    listed in fetch.browser_allow. Everything else (trackers, CDNs, ads) is aborted."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    if parts.scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    if host == (urlsplit(page_url).hostname or "").lower():
        return True
    return any(_host_matches(host, pattern) for pattern in allow)


def chromium_path(settings: FetchSettings) -> str | None:
    if settings.browser_executable:
        return shutil.which(settings.browser_executable)
    return shutil.which("chromium") or shutil.which("chromium-browser")


class BrowserRenderer:
    """Renders pages to HTML in one shared Chromium; thread-safe, closed with the Fetcher."""

    def __init__(self, settings: FetchSettings, policy: RequestPolicy | None = None) -> None:
        self.settings = settings
        self.policy = policy
        self.blocked: list[str] = []  # requests aborted, for the log and the tests
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="rightswatch-browser", daemon=True
        )
        self._thread.start()
        self._semaphore = asyncio.Semaphore(settings.browser_concurrency)
        self._launch_lock = asyncio.Lock()
        self._playwright: Any = None
        self._browser: Any = None
        self.launches = 0

    def may_request(self, url: str, page_url: str) -> bool:
        """The one decision on a rendered page's own requests."""
        if not request_allowed(url, page_url, self.settings.browser_allow):
            return False
        return self.policy is None or self.policy(url)

    def render(self, url: str) -> Page:
        """The rendered DOM of `url` as a Page; raises FetchError with a per-URL message."""
        future = asyncio.run_coroutine_threadsafe(self._render(url), self._loop)
        limit = self.settings.browser_timeout * (self.settings.browser_concurrency + 2) + 60
        try:
            return future.result(timeout=limit)
        except FutureTimeout:
            future.cancel()
            message = f"the browser gave no result within {limit:g} s (fetch.browser_timeout)"
            raise FetchError(url, "timeout", message, retryable=True) from None

    def close(self) -> None:
        if self._loop.is_closed():
            return
        done = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        with contextlib.suppress(Exception):  # closing must not hide the run's own result
            done.result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = None

    async def _ensure_browser(self, url: str) -> Any:
        async with self._launch_lock:
            if self._browser is not None:
                return self._browser
            from playwright.async_api import async_playwright

            executable = chromium_path(self.settings)
            if executable is None:
                raise FetchError(
                    url,
                    "browser",
                    "render: browser needs Chromium: install the Debian package `chromium` "
                    "(apt-get install chromium), or set fetch.browser_executable",
                )
            self._playwright = await async_playwright().start()
            try:
                self._browser = await self._playwright.chromium.launch(
                    executable_path=executable, args=list(CHROMIUM_ARGS), timeout=60_000
                )
            except Exception as exc:
                raise FetchError(
                    url, "browser", f"Chromium ({executable}) did not start: {exc}"
                ) from None
            self.launches += 1
            return self._browser

    async def _render(self, url: str) -> Page:
        async with self._semaphore:
            browser = await self._ensure_browser(url)
            context = await browser.new_context(
                user_agent=self.settings.user_agent, service_workers="block", accept_downloads=False
            )
            try:
                return await self._load(context, url)
            finally:
                await context.close()

    async def _route(self, route: Any, page_url: str) -> None:
        if self.may_request(route.request.url, page_url):
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort("blockedbyclient")

    async def _load(self, context: Any, url: str) -> Page:
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        page = await context.new_page()
        await page.route("**/*", lambda route: self._route(route, url))
        # Redirects never reach the route hook; every hop is seen here, so a render that was
        # redirected anywhere it may not go is refused below, whatever its DOM holds.
        redirected: list[str] = []
        page.on("request", lambda r: redirected.append(r.url) if r.redirected_from else None)
        timeout = self.settings.browser_timeout
        started, fetched_at = time.monotonic(), datetime.now(UTC)
        response = await _goto(page, url, timeout)
        if response is None:
            raise FetchError(url, "http", "the browser got no response for the page")
        _check_response(url, response.status, response.headers.get("content-type", ""))
        remaining = timeout - (time.monotonic() - started)
        # Scripts that fetch more data get until the network is quiet; a page that never goes
        # quiet is read as it stands.
        with contextlib.suppress(PlaywrightTimeout):
            await page.wait_for_load_state("networkidle", timeout=max(remaining, 0.1) * 1000)
        html: str = await page.content()
        _refuse_strays(url, [u for u in redirected if not self.may_request(u, url)])
        body = html.encode("utf-8")
        if len(body) > self.settings.max_bytes:
            raise FetchError(
                url,
                "too-large",
                f"the rendered page is {len(body):,} bytes, over the "
                f"{self.settings.max_bytes:,}-byte limit (fetch.max_bytes)",
            )
        return Page(
            url=url,
            final_url=page.url,
            status=response.status,
            content_type="text/html",
            body=body,
            text=html,
            encoding="utf-8",
            validators=Validators(),
            fetched_at=fetched_at,
            elapsed=time.monotonic() - started,
        )


async def _goto(page: Any, url: str, timeout: float) -> Any:
    """Load the page (its scripts and subresources included); a failure as a FetchError."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        return await page.goto(url, wait_until="load", timeout=timeout * 1000)
    except PlaywrightTimeout:
        message = f"the page did not finish loading within {timeout:g} s (fetch.browser_timeout)"
        raise FetchError(url, "timeout", message, retryable=True) from None
    except PlaywrightError as exc:
        reason = str(exc).splitlines()[0]
        raise FetchError(
            url, "connection", f"the browser could not load it: {reason}", retryable=True
        ) from None


def _refuse_strays(url: str, strays: list[str]) -> None:
    """A rendered page that reached another host through a redirect (which the route hook
    cannot stop) is not read: what it loaded from there never becomes a snapshot or a digest."""
    if strays:
        raise FetchError(
            url,
            "refused",
            f"refused: the rendered page was redirected to {strays[0]}, which is not the "
            "page's own host nor in fetch.browser_allow; add that host to fetch.browser_allow "
            "if this is intended",
        )


def _check_response(url: str, status: int, content_type: str) -> None:
    if not 200 <= status < 300:
        retryable = status == 429 or status >= 500
        raise FetchError(url, "http", f"HTTP {status}", status=status, retryable=retryable)
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        raise FetchError(
            url,
            "content-type",
            f"render: browser reads HTML pages, got {mime!r}; remove `render` for this watch",
            status=status,
        )
