"""Who a request comes from: the visitor's address behind the trusted proxies, and a
keyed hash of it for counting and logging (an address is never stored in clear)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest

__all__ = ["client_address", "client_key", "client_pseudonym", "keyed_hash"]


def client_address(request: HttpRequest) -> str:
    """The visitor's address. Behind ``TRUSTED_PROXY_HOPS`` reverse proxies, each of
    which appends the address it saw to X-Forwarded-For, it is the entry that many
    places from the end (entries further left are whatever the client sent)."""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [address.strip() for address in forwarded if address.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def _client_group(address: str) -> str:
    """The unit a limit counts: an IPv4 address, or an IPv6 /64 network (one household
    or phone gets a whole /64, so counting single IPv6 addresses would count nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def keyed_hash(purpose: str, value: str) -> str:
    """A short keyed hash (HMAC-SHA256 under RECEIPT_HASH_KEY) of ``value``: the same
    value gives the same hash, which nobody without the key can turn back."""
    key = settings.RECEIPT_HASH_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def client_key(request: HttpRequest) -> str:
    return keyed_hash("client", _client_group(client_address(request)))


def client_pseudonym(request: HttpRequest) -> str:
    """What django-axes counts sign-in failures under for an address: the keyed hash of
    the visitor's group (client_key), written as an IPv6 address because that is what
    its column holds. The same group gives the same value; its table never holds an
    address in clear."""
    return str(ipaddress.IPv6Address(int(client_key(request), 16)))
