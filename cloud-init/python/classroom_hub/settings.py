"""Reads and checks class.json and secrets.json against their JSON Schemas.

The schemas (INSTALL_DIR/schema/*.schema.json) are generated from the stack's own rules in
lib/config and travel with this code: the server keeps no shape or pattern of its own. What a
JSON Schema cannot say, the roster's identity rules between entries, is checked here and in
lib/config/identity.ts, and both run the cases of test/cases/roster-identity.json.

The hub and classroom-apply both go through here, so a file the hub could not use is refused before
it replaces a working one. Every problem is reported at once and names its place
(auth.allowedUsers[2]); secrets' values are never shown.
"""

import json
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator

from . import SCHEMAS
from .usernames import hub_name_of

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


def _validator(name: str, ref: str | None = None) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{ref}"} if ref else schema)


_SETTINGS = _validator("class.schema.json")
_SECRETS = _validator("secrets.schema.json")
_BETWEEN = _validator("secrets.schema.json", "withSettings")


def _place(path) -> str:
    place = ""
    for step in path:
        place += f"[{step}]" if isinstance(step, int) else f".{step}" if place else step
    return place


def _messages(error, secret: bool) -> list[str]:
    place = _place(error.absolute_path)
    prefix = f"{place}." if place else ""
    if error.validator == "required":
        return [f"{prefix}{key}: is missing" for key in error.validator_value if key not in error.instance]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        return [f"{prefix}{key}: is not a known setting" for key in error.instance if key not in known]
    shown = "a secret value" if secret else json.dumps(error.instance)[:80]
    expected = error.schema.get("description") or error.message
    return [f"{place or 'the file'}: got {shown}; expected {expected}"]


def _problems(validator: Draft202012Validator, data: Any, secret: bool = False) -> list[str]:
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    messages, places = [], set()
    for error in errors:
        for message in _messages(error, secret):
            # One line per place: a value that breaks two rules is one thing to fix.
            place = message.split(":", 1)[0]
            if place not in places:
                places.add(place)
                messages.append(message)
    return messages


def _strings(value: Any) -> list[tuple[int, str]]:
    """(index, entry) of each string of a list: a bad item leaves the others' indexes as they are."""
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []


def roster_identity_problems(auth: dict) -> list[tuple[str, int, str]]:
    """(list, index, expected) for each entry that breaks one person, one identity: a second e-mail
    domain (ada@a.edu and ada@b.edu would be one hub user), a second spelling of one hub user, or a
    teaching assistant who is an instructor too. Whole addresses for e-mail logins and no @ for
    GitHub are the schema's to check."""
    problems, class_domain, spelling = [], None, {}
    instructors = {hub_name_of(entry) for _, entry in _strings(auth.get("adminUsers"))}

    def same_domain(key: str, index: int, domain: str) -> bool:
        nonlocal class_domain
        class_domain = class_domain or domain
        if domain == class_domain:
            return True
        problems.append((key, index, f"the class's one e-mail domain, {class_domain}: hub user names are the part "
                                     "before the @, so addresses of two domains could make two people one hub user"))
        return False

    for index, domain in _strings(auth.get("googleHostedDomains")):
        same_domain("googleHostedDomains", index, domain)
    for key in ("allowedUsers", "adminUsers", "teachingAssistants"):
        for index, entry in _strings(auth.get(key)):
            if "@" in entry and not same_domain(key, index, entry.rsplit("@", 1)[1]):
                continue
            name = hub_name_of(entry)
            if key == "teachingAssistants" and name in instructors:
                problems.append((key, index, "someone who is not in adminUsers too: an instructor has every right "
                                             "a teaching assistant has and more; keep them in one of the two lists"))
                continue
            first = spelling.setdefault(name, entry)
            if first != entry:
                problems.append((key, index, f"one spelling per hub user: {first} is hub user {name} already"))
    return problems


def _time_zone_problems(name: str) -> list[str]:
    """The schema checks the zone's spelling; whether this server's time zone database has it, only
    the server can tell."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return [f"classSchedule.timezone: {name!r} is not a time zone this server knows"]
    return []


def check_settings(data: Any, source: str = "class.json") -> dict:
    """Returns data when it is a ClassSettings this server understands; raises SettingsError otherwise."""
    if not isinstance(data, dict):
        raise SettingsError(source, ["the file: expected a JSON object"])
    if data.get("version") != SUPPORTED_VERSION:
        raise SettingsError(source, [f"version: got {json.dumps(data.get('version'))}; this server reads version "
                                     f"{SUPPORTED_VERSION}. Deploy a jupyterhub-classroom release that matches the server"])
    problems = _problems(_SETTINGS, data)
    if not problems:
        problems = _time_zone_problems(data["classSchedule"]["timezone"])
    auth = data.get("auth")
    if isinstance(auth, dict):
        problems += [f"auth.{key}[{index}]: got {json.dumps(auth[key][index])}; expected {expected}"
                     for key, index, expected in roster_identity_problems(auth)]
    if problems:
        raise SettingsError(source, problems)
    return data


def _between_message(error) -> str:
    """A rule between the files names the secret it is about, never its value."""
    if error.absolute_path[0] == "secrets":
        return f"{error.absolute_path[-1]}: expected {error.schema['description']}"
    return f"courseRepoToken: is only sent to {error.schema['description']} (course.repositoryUrl)"


def check_secrets(data: Any, settings: dict, source: str = "secrets.json") -> dict:
    """Returns data when it is a complete ClassSecrets; problems name keys, never values."""
    problems = _problems(_SECRETS, data, secret=True)
    if not problems:
        problems = [_between_message(error) for error in _BETWEEN.iter_errors({"settings": settings, "secrets": data})]
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
