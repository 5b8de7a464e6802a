"""Receipt codes: what a reporter keeps to follow up on a report without an account.

A code is 16 characters of Crockford base32 (80 random bits, far above the 53 bits of
16 random digits), shown grouped as ``K7QM-3XPA-V9TD-2HWE``. It is derived from the
form's one-time submission token, so a repeated post of the same form (double click,
refresh, retry) recomputes the same code without the code ever being stored; the
database keeps only keyed hashes of both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 16
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def _mac(purpose: str, value: str) -> bytes:
    key = settings.RECEIPT_HASH_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()


def new_submission_token() -> str:
    return secrets.token_urlsafe(32)


def submission_hash(token: str) -> str:
    return _mac("submission", token).hex()


def receipt_code_for(token: str) -> str:
    raw = _mac("receipt", token)[:10]  # 80 bits
    encoded = base64.b32encode(raw).decode()  # 16 characters, RFC 4648 alphabet
    standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return encoded.translate(str.maketrans(standard, ALPHABET))


def normalise(code: str) -> str:
    """Accept what people type: any case, spaces or dashes, O for 0, I or L for 1."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.translate(_CONFUSABLE)


def is_well_formed(code: str) -> bool:
    code = normalise(code)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def receipt_hash(code: str) -> str:
    return _mac("receipt-code", normalise(code)).hex()


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
