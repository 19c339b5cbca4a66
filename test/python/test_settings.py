"""classroom_hub.settings: the roster rules between entries, on the cases the stack runs too
(test/cases/roster-identity.json, test/identity.test.ts), and every problem at once."""

import json

import pytest
from conftest import REPO, class_settings

from classroom_hub.settings import SettingsError, check_settings, roster_identity_problems
from classroom_hub.usernames import hub_name_of

TABLE = json.loads((REPO / "test" / "cases" / "roster-identity.json").read_text())


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["what"] for c in TABLE["cases"]])
def test_shared_roster_identity_case(case):
    assert [f"{key}[{index}]" for key, index, _ in roster_identity_problems(case)] == case["refused"]


@pytest.mark.parametrize("case", TABLE["hubNames"], ids=[c["entry"] for c in TABLE["hubNames"]])
def test_shared_hub_name_case(case):
    assert hub_name_of(case["entry"]) == case["hubName"]


def test_every_problem_at_once_each_at_its_own_index():
    settings = class_settings("oidc")
    settings["auth"]["allowedUsers"] = ["ada@example.edu"] * 7 + ["ada-@example.edu", "bob@evil.example"]
    settings["limits"]["memory"] = "lots"
    with pytest.raises(SettingsError) as raised:
        check_settings(settings)
    assert [p.split(":")[0] for p in raised.value.problems] == [
        "auth.allowedUsers[7]", "limits.memory", "auth.allowedUsers[8]"]
    assert raised.value.problems[0].startswith('auth.allowedUsers[7]: got "ada-@example.edu"; expected ')


@pytest.mark.parametrize("provider", ["google", "oidc"])
@pytest.mark.parametrize("key", ["allowedUsers", "adminUsers"])
def test_a_bare_name_with_e_mail_logins_is_refused(provider, key):
    settings = class_settings(provider)
    settings["auth"][key] = [*settings["auth"][key], "dave"]
    with pytest.raises(SettingsError, match=rf"auth\.{key}\[\d\]: got \"dave\"; expected a whole e-mail address"):
        check_settings(settings)
