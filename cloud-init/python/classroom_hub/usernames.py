"""From what the login provider says to a hub user name, and from a hub user name to a Linux account.

Hub names are the only input that reaches useradd, systemd unit names, URLs and paths, so they are
kept to a small safe alphabet; anything else is refused at login rather than escaped.
"""

import base64
import hashlib
import json
import re

from . import SCHEMAS

# Lower-case ASCII letters and digits, with . _ - inside; 64 characters like an e-mail local part.
# Starting with a letter or digit keeps names from being read as options or hidden files. The
# pattern is the one the stack checks roster entries with: class.json's schema carries it.
_HUB_NAME = re.compile(json.loads((SCHEMAS / "class.schema.json").read_text())["$defs"]["hubName"]["pattern"])

ACCOUNT_PREFIX = "jupyter-"
# Linux (useradd, utmp) allows 32 characters in a user name.
_MAX_ACCOUNT = 32
# Names up to this length keep their readable form; longer ones get a hash.
_MAX_PLAIN = _MAX_ACCOUNT - len(ACCOUNT_PREFIX) - 1
_HASH_CHARS = 12


def normalize_login(login: str) -> str:
    """Lower-cases a login and maps an e-mail address to its local part (dots kept).

    The result may still be invalid (slashes, spaces, ...): is_valid_hub_name decides. Non-ASCII
    logins are returned unchanged, hence invalid: str.lower maps some of them onto ASCII names (the
    Kelvin sign onto k), which would let one person log in as another.
    """
    if not login.isascii():
        return login
    return hub_name_of(login.lower())


def hub_name_of(entry: str) -> str:
    """The hub user name of a lower-cased roster entry: an address's local part, else the entry."""
    return entry.rsplit("@", 1)[0]


def is_valid_hub_name(name: str) -> bool:
    return name.isascii() and _HUB_NAME.search(name) is not None


def is_student_account(name: str) -> bool:
    """Whether name is a Linux account system_account can make: jupyter-<hub name>, at most 32."""
    return (name.startswith(ACCOUNT_PREFIX) and len(name) <= _MAX_ACCOUNT
            and is_valid_hub_name(name.removeprefix(ACCOUNT_PREFIX)))


def system_account(hub_name: str) -> str:
    """The Linux account of a hub user: jupyter-<name>, so a student called root or traefik never
    becomes that account.

    Names longer than 23 characters keep 11 and get 12 base32 characters of their SHA-256: the
    result is deterministic (the same student always gets the same account) and has exactly 32
    characters, a length no plain name reaches, so a plain name can never equal a hashed one.
    """
    if not is_valid_hub_name(hub_name):
        raise ValueError(f"{hub_name!r} is not a valid hub user name")
    if len(hub_name) <= _MAX_PLAIN:
        return ACCOUNT_PREFIX + hub_name
    digest = base64.b32encode(hashlib.sha256(hub_name.encode()).digest()).decode().lower()
    keep = _MAX_ACCOUNT - len(ACCOUNT_PREFIX) - 1 - _HASH_CHARS
    return f"{ACCOUNT_PREFIX}{hub_name[:keep]}-{digest[:_HASH_CHARS]}"
