"""Reads and checks class.json and secrets.json: the shapes of ClassSettings and ClassSecrets in
lib/settings.ts.

The hub and classroom-apply both go through here, so a file the hub could not use is refused before
it replaces a working one. Every problem names its key (auth.allowedUsers[2]); secrets' values are
never shown.
"""

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .schedule import DAYS
from .usernames import is_valid_hub_name, normalize_login

SUPPORTED_VERSION = 1


def settings_path() -> Path:
    """class.json; CLASSROOM_SETTINGS points elsewhere (tests, or checking a copy)."""
    return Path(os.environ.get("CLASSROOM_SETTINGS", "/etc/jupyterhub-classroom/class.json"))


def secrets_path() -> Path:
    """secrets.json; CLASSROOM_SECRETS points elsewhere (tests, or checking a copy)."""
    return Path(os.environ.get("CLASSROOM_SECRETS", "/etc/jupyterhub-classroom/secrets.json"))


class SettingsError(ValueError):
    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source} has {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n"
                         + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Nullable:
    shape: Any


# A shape is a type (or a tuple of types), a set of allowed values, a one-item list (a list of that
# shape), a dict (an object with exactly these keys) or Nullable(shape).
_NUMBER = (int, float)
SETTINGS_SHAPE = {
    "version": int,
    "hostname": str,
    "auth": {
        "provider": {"github", "google", "oidc"},
        "clientId": str,
        "callbackUrl": str,
        "allowedUsers": [str],
        "adminUsers": [str],
        "githubOrganizations": [str],
        "googleHostedDomains": [str],
        "oidc": Nullable({
            "authorizeUrl": str,
            "tokenUrl": str,
            "userdataUrl": str,
            "usernameClaim": str,
            "scopes": [str],
        }),
    },
    "course": Nullable({"repositoryUrl": str, "branch": str, "directory": str}),
    "coursePackages": [str],
    "limits": {"memory": str, "cpu": _NUMBER, "idleTimeoutSeconds": int, "concurrentSpawnLimit": int},
    "loginPage": {
        "title": str,
        "logoUrl": Nullable(str),
        "primaryColor": str,
        "announcement": Nullable(str),
        "helpLinks": [{"text": str, "url": str}],
    },
    "classSchedule": {
        "timezone": str,
        "leadMinutes": int,
        "meetings": [{"days": [set(DAYS)], "start": str, "end": str}],
        "maxWarmServers": Nullable(int),
    },
}
SECRETS_SHAPE = {
    "oauthClientSecret": str,
    "cookieSecret": str,
    "traefikApiPassword": str,
    "courseRepoToken": Nullable(str),
}

_HOSTNAME = r"(?=.{1,253}$)((?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}"
_HTTP_URL = r"https?://[^\s\"'<>\\]+"
_PRINTABLE = r"[^\x00-\x1f\x7f]+"
# Values are matched whole. The patterns repeat lib/configKeys.ts: the server does not trust its input.
_RULES: dict[str, tuple[str, str]] = {
    "hostname": (_HOSTNAME, "a host name such as engr101.example.edu"),
    "auth.clientId": (_PRINTABLE, "the OAuth client id"),
    "auth.callbackUrl": (r"https://[^\s\"'<>\\]+", "an https URL"),
    "auth.allowedUsers[]": (r"[A-Za-z0-9][A-Za-z0-9._+@-]{0,127}", "a user name or e-mail address"),
    "auth.adminUsers[]": (r"[A-Za-z0-9][A-Za-z0-9._+@-]{0,127}", "a user name or e-mail address"),
    "auth.githubOrganizations[]": (r"[A-Za-z0-9][A-Za-z0-9-]{0,38}(:[A-Za-z0-9_.-]+)?", "org or org:team"),
    "auth.googleHostedDomains[]": (_HOSTNAME, "a domain such as example.edu"),
    "auth.oidc.authorizeUrl": (_HTTP_URL, "an http(s) URL"),
    "auth.oidc.tokenUrl": (_HTTP_URL, "an http(s) URL"),
    "auth.oidc.userdataUrl": (_HTTP_URL, "an http(s) URL"),
    "auth.oidc.usernameClaim": (r"[A-Za-z_][A-Za-z0-9_.:-]*", "a claim name such as email"),
    "auth.oidc.scopes[]": (r"[A-Za-z0-9_.:/-]+", "a scope name"),
    "course.repositoryUrl": (r"(https?://(?![^/]*@)|ssh://|[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:)[^\s\"'\\]+",
                             "an https://, http://, ssh:// or git@host:path URL with no credentials in it"),
    "course.branch": (r"(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}", "a git branch name"),
    "course.directory": (r"(?!\.)(?!.*/\.)(?!.*\.\.)[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*",
                         "a relative directory inside the student's home, such as course"),
    # Starts with a letter or digit, so pip never reads a package as an option (--index-url=...).
    "coursePackages[]": (r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,.-]+\])?"
                         r"\s*((==|>=|<=|~=|!=|<|>)\s*[A-Za-z0-9.*+!-]+\s*,?\s*)*",
                         "a pip requirement such as numpy==2.1.3"),
    "limits.memory": (r"[1-9][0-9]*(\.[0-9]+)?[KMGT]", "a size such as 512M or 2G"),
    "loginPage.title": (r"[^\x00-\x1f\x7f]{1,120}", "a title of at most 120 characters"),
    "loginPage.logoUrl": (r"https://[^\s\"'<>\\]+", "an https image URL"),
    # Goes into CSS, which HTML escaping does not protect: only a colour may pass.
    "loginPage.primaryColor": (r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", "a colour such as #1f6feb"),
    "loginPage.announcement": (r"[^\x00-\x08\x0b-\x1f\x7f]{0,500}", "plain text of at most 500 characters"),
    "loginPage.helpLinks[].text": (r"[^\x00-\x1f\x7f]{1,80}", "link text of at most 80 characters"),
    # Only http(s): a javascript: link on the login page would run in the hub's origin.
    "loginPage.helpLinks[].url": (_HTTP_URL, "an http(s) URL"),
    "classSchedule.timezone": (r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", "an IANA time zone such as America/New_York"),
    "classSchedule.meetings[].start": (r"([01][0-9]|2[0-3]):[0-5][0-9]", "a time such as 09:00"),
    "classSchedule.meetings[].end": (r"([01][0-9]|2[0-3]):[0-5][0-9]", "a time such as 10:15"),
    "oauthClientSecret": (_PRINTABLE, "the OAuth client secret"),
    "cookieSecret": (r"[0-9a-fA-F]{64}", "64 hex characters"),
    "traefikApiPassword": (r"[^\x00-\x20\x7f]{16,}", "at least 16 characters, no spaces"),
    # Goes into an HTTP header: no line breaks.
    "courseRepoToken": (_PRINTABLE, "a token on one line"),
}
_NUMBER_RULES = {
    "limits.cpu": (lambda v: 0 < v <= 64, "more than 0 and at most 64 CPUs"),
    "limits.idleTimeoutSeconds": (lambda v: v >= 0, "0 (never cull) or more seconds"),
    "limits.concurrentSpawnLimit": (lambda v: v >= 0, "0 (derived from the vCPUs) or more"),
    "classSchedule.leadMinutes": (lambda v: 0 <= v <= 720, "0 to 720 minutes"),
    "classSchedule.maxWarmServers": (lambda v: v >= 0, "0 or more servers"),
}


def _type_name(shape: Any) -> str:
    if isinstance(shape, dict):
        return "an object"
    if isinstance(shape, list):
        return "a list"
    if isinstance(shape, tuple):
        return "a number"
    return {str: "a string", int: "a whole number"}[shape]


def _check(value: Any, shape: Any, path: str, generic: str, secret: bool, problems: list[str]) -> None:
    shown = "a secret value" if secret else json.dumps(value)[:80]
    if isinstance(shape, Nullable):
        if value is None:
            return
        shape = shape.shape
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            problems.append(f"{path or 'the file'}: expected an object")
            return
        prefix = f"{path}." if path else ""
        gprefix = f"{generic}." if generic else ""
        for key in value.keys() - shape.keys():
            problems.append(f"{prefix}{key}: is not a known setting")
        for key, sub in shape.items():
            if key not in value:
                problems.append(f"{prefix}{key}: is missing")
            else:
                _check(value[key], sub, prefix + key, gprefix + key, secret, problems)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            problems.append(f"{path}: got {shown}; expected a list")
            return
        for i, item in enumerate(value):
            _check(item, shape[0], f"{path}[{i}]", f"{generic}[]", secret, problems)
    elif isinstance(shape, set):
        if not isinstance(value, str) or value not in shape:
            problems.append(f"{path}: got {shown}; expected one of {', '.join(sorted(shape))}")
    elif isinstance(value, bool) or not isinstance(value, shape):
        problems.append(f"{path}: got {shown}; expected {_type_name(shape)}")
    elif generic in _RULES:
        pattern, expected = _RULES[generic]
        if re.fullmatch(pattern, value) is None:
            problems.append(f"{path}: got {shown}; expected {expected}")
    elif generic in _NUMBER_RULES:
        accept, expected = _NUMBER_RULES[generic]
        if not accept(value):
            problems.append(f"{path}: got {shown}; expected {expected}")


def _roster_problems(auth: dict) -> list[str]:
    """Every roster entry must make a valid hub name, and each hub name must come from one spelling:
    ada@a.edu and ada@b.edu would both become hub user ada."""
    problems, spelling = [], {}
    for key in ("allowedUsers", "adminUsers"):
        for i, login in enumerate(auth[key]):
            name = normalize_login(login)
            if not is_valid_hub_name(name):
                problems.append(f"auth.{key}[{i}]: {login!r} does not make a valid hub user name (lower-case "
                                "letters, digits and . _ - inside, at most 64 characters before any @)")
            elif spelling.setdefault(name, login.lower()) != login.lower():
                problems.append(f"auth.{key}[{i}]: {login!r} and {spelling[name]!r} would both be hub user {name!r}")
    return problems


def _cross_key_problems(s: dict) -> list[str]:
    auth, problems = s["auth"], []
    if auth["provider"] != "github" and auth["githubOrganizations"]:
        problems.append("auth.githubOrganizations: expected none unless auth.provider is github")
    if auth["provider"] != "google" and auth["googleHostedDomains"]:
        problems.append("auth.googleHostedDomains: expected none unless auth.provider is google")
    if (auth["provider"] == "oidc") != (auth["oidc"] is not None):
        problems.append("auth.oidc: expected an object exactly when auth.provider is oidc")
    if not (auth["allowedUsers"] or auth["adminUsers"] or auth["githubOrganizations"] or auth["googleHostedDomains"]):
        problems.append("auth.allowedUsers: expected at least one user, organization or hosted domain; "
                        "otherwise nobody can log in")
    return problems + _roster_problems(auth) + _schedule_problems(s["classSchedule"])


def _schedule_problems(schedule: dict) -> list[str]:
    problems = []
    try:
        ZoneInfo(schedule["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"classSchedule.timezone: {schedule['timezone']!r} is not a time zone this server knows")
    for i, meeting in enumerate(schedule["meetings"]):
        if not meeting["days"]:
            problems.append(f"classSchedule.meetings[{i}].days: expected at least one day")
        if meeting["start"] == meeting["end"]:
            problems.append(f"classSchedule.meetings[{i}]: expected an end different from its start")
    return problems


def check_settings(data: Any, source: str = "class.json") -> dict:
    """Returns data when it is a ClassSettings this server understands; raises SettingsError otherwise."""
    if not isinstance(data, dict):
        raise SettingsError(source, ["the file: expected a JSON object"])
    if data.get("version") != SUPPORTED_VERSION:
        raise SettingsError(source, [f"version: got {json.dumps(data.get('version'))}; this server reads version "
                                     f"{SUPPORTED_VERSION}. Deploy a jupyterhub-classroom release that matches the server"])
    problems: list[str] = []
    _check(data, SETTINGS_SHAPE, "", "", False, problems)
    if not problems:
        problems = _cross_key_problems(data)
    if problems:
        raise SettingsError(source, problems)
    return data


def check_secrets(data: Any, settings: dict, source: str = "secrets.json") -> dict:
    """Returns data when it is a complete ClassSecrets; problems name keys, never values."""
    problems: list[str] = []
    _check(data, SECRETS_SHAPE, "", "", True, problems)
    course = settings["course"]
    if not problems and data["courseRepoToken"] is not None and course is not None \
            and not course["repositoryUrl"].startswith("https://"):
        problems.append("courseRepoToken: is only sent to an https:// course.repositoryUrl")
    if problems:
        raise SettingsError(source, problems)
    return data


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        # The message has a position but no content, so it is safe for secrets too.
        raise SettingsError(str(path), [f"the file: is not JSON ({e.msg} at line {e.lineno} column {e.colno})"]) from None


def load_settings(path: Path | None = None) -> dict:
    path = path or settings_path()
    return check_settings(_read_json(path), str(path))


def load_secrets(settings: dict, path: Path | None = None) -> dict:
    path = path or secrets_path()
    return check_secrets(_read_json(path), settings, str(path))
