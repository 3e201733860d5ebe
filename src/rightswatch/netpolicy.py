"""Where rightswatch may connect: no cloud metadata, loopback admin ports or intranet by accident.

Pages other people control choose the URLs rightswatch fetches (index links, redirects), so
every request's host is resolved once, every address it resolves to is checked, and the
connection goes to exactly that checked address (a second DNS lookup could answer otherwise:
DNS rebinding). The host of a watch's own configured URL is trusted (the user named it), and
`fetch.allow_private: true` trusts every address (an intranet deployment).

The browser renderer and a Save Page Now client call `AddressPolicy.check` for each of their
own requests; requests through `Fetcher.session` are checked by `PinnedAdapter` on their own.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

__all__ = [
    "AddressPolicy",
    "AddressRefused",
    "Classifier",
    "Pin",
    "PinnedAdapter",
    "Resolver",
    "address_rule",
    "host_matches",
    "own_hosts",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]  # host, port -> addresses, in connection order
Classifier = Callable[[IPAddress], str | None]  # an address -> why it is refused, or None

# Checked before the ipaddress properties, so the message names the specific danger.
_EXPLICIT: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("169.254.169.254/32"), "a link-local address (cloud metadata service)"),
    (ipaddress.ip_network("fd00:ec2::254/128"), "a link-local address (cloud metadata service)"),
    (ipaddress.ip_network("100.64.0.0/10"), "a shared CGNAT address (RFC 6598)"),
    (ipaddress.ip_network("0.0.0.0/8"), "an unspecified address ('this network')"),
    (ipaddress.ip_network("192.0.0.0/24"), "a reserved address (IETF protocol assignments)"),
    (ipaddress.ip_network("198.18.0.0/15"), "a reserved address (benchmarking, RFC 2544)"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "a reserved address (local-use NAT64)"),
)
_PROPERTIES: tuple[tuple[str, str], ...] = (
    ("is_unspecified", "the unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
)


def address_rule(ip: IPAddress) -> str | None:
    """Why `ip` is no place for rightswatch to connect to, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            reason = address_rule(embedded)
            return f"{reason}, embedded in IPv6 {ip}" if reason else None
    for network, reason in _EXPLICIT:
        if ip.version == network.version and ip in network:
            return reason
    for prop, reason in _PROPERTIES:
        if getattr(ip, prop):
            return reason
    if ip.is_private:
        if ip.version == 6 and ip in ipaddress.ip_network("fc00::/7"):
            return "a unique-local address (RFC 4193)"
        return "a private address (RFC 1918)" if ip.version == 4 else "a private address"
    if not ip.is_global:
        return "a non-public (reserved) address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer, once: every address, in the order to try them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in out:
            out.append(address)
    return out


class AddressRefused(Exception):
    """A request the policy refuses; never retried (the same address would be refused again)."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


@dataclass(frozen=True)
class Pin:
    """The checked address a request to `host` connects to."""

    host: str
    address: str


def _norm(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def host_matches(url: str, hosts: Collection[str]) -> bool:
    """Whether `url` is on one of `hosts`: "name:port" matches that port only, a bare "name"
    its web ports (80, 443), so a trusted host's other ports (admin consoles) are not."""
    parts = urlsplit(url)
    host = _norm(parts.hostname or "")
    port = parts.port or default_port(parts.scheme)
    names = {_norm(h) for h in hosts}
    return f"{host}:{port}" in names or (port in (80, 443) and host in names)


def own_hosts(url: str) -> frozenset[str]:
    """The hosts a user named by configuring `url`: its name on its own port and web ports."""
    parts = urlsplit(url)
    host = _norm(parts.hostname or "")
    return frozenset({host, f"{host}:{parts.port or default_port(parts.scheme)}"})


@dataclass
class AddressPolicy:
    allow_private: bool = False
    resolver: Resolver = system_resolver
    classify: Classifier = address_rule
    trusted: frozenset[str] = frozenset()  # hosts the user named for this client (own_hosts)

    def check(self, url: str, trusted: Collection[str] = ()) -> Pin:
        """Resolve the URL's host once and check every address; raises AddressRefused, or
        OSError (socket.gaierror) when the name does not resolve."""
        parts = urlsplit(url)
        host = _norm(parts.hostname or "")
        if parts.scheme not in ("http", "https") or not host:
            raise AddressRefused(url, "refused: only http:// and https:// URLs are fetched")
        addresses = self._addresses(host, parts.port or default_port(parts.scheme))
        if self.allow_private or host_matches(url, {*trusted, *self.trusted}):
            return Pin(host, addresses[0])
        for address in addresses:
            reason = self.classify(ipaddress.ip_address(address))
            if reason is None:
                continue
            via = "" if address == host else f"{host} resolves to {address}, "
            raise AddressRefused(
                url,
                f"refused: {via}{address} is {reason}; set fetch.allow_private: true "
                "if this is intended",
            )
        return Pin(host, addresses[0])

    def _addresses(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        found = [str(ipaddress.ip_address(a.split("%", 1)[0])) for a in self.resolver(host, port)]
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, f"no address for {host}")
        return found


class _Local(threading.local):
    pin: Pin | None = None


class PinnedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections go to the pre-checked address, while the Host header,
    SNI and certificate check stay on the host name. urllib3's Retry (max_retries) retries on
    the same pinned pool, so retries never resolve again either.

    A request sent without `pin=` is checked here with no trusted host, so nothing that
    uses the session can skip the policy."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        self.policy = policy
        self._local = _Local()
        super().__init__(**kwargs)

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
        pin: Pin | None = None,
    ) -> Response:
        url = request.url or ""
        if pin is None:
            pin = self.policy.check(url)
        request.headers["Host"] = urlsplit(url).netloc.rsplit("@", 1)[-1]  # [v6]:port kept
        self._local.pin = pin
        try:
            return super().send(request, stream, timeout, verify, cert, proxies)
        finally:
            self._local.pin = None

    def build_connection_pool_key_attributes(
        self, request: PreparedRequest, verify: bool | str, cert: Any = None
    ) -> Any:  # requests' private TypedDicts, which lack server_hostname
        params, kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params: dict[str, Any] = dict(params)
        pool_kwargs: dict[str, Any] = dict(kwargs)
        pin = self._local.pin
        if pin is not None:
            host_params["host"] = pin.address
            if host_params.get("scheme") == "https":
                pool_kwargs["server_hostname"] = pin.host
                pool_kwargs["assert_hostname"] = pin.host
        return host_params, pool_kwargs
