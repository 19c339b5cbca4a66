"""Hub user names and their Linux accounts (classroom_hub.usernames)."""

import pytest

from classroom_hub.usernames import is_student_account, is_valid_hub_name, normalize_login, system_account


@pytest.mark.parametrize("login,name", [
    ("Ada", "ada"),
    ("GRACE-HOPPER", "grace-hopper"),
    ("Ada.Lovelace@Example.EDU", "ada.lovelace"),
    ("first.last+cs101@example.edu", "first.last+cs101"),
    ("a@b@example.edu", "a@b"),
])
def test_logins_are_lower_cased_and_e_mail_addresses_keep_their_local_part(login, name):
    assert normalize_login(login) == name


@pytest.mark.parametrize("name", ["ada", "ada.lovelace", "grace_hopper", "x-1", "007", "a", "a" * 64])
def test_safe_names_are_valid(name):
    assert is_valid_hub_name(name)


@pytest.mark.parametrize("name", [
    "", ".", "..", "../x", "a/b", "-rf", ".hidden", "trailing.", "Ada", "first.last+cs101", "a@b",
    "émile", "ada lovelace", "ada\n", "a" * 65, "\u212aate",
])
def test_unsafe_names_are_invalid(name):
    assert not is_valid_hub_name(name)


def test_non_ascii_logins_are_not_folded_onto_ascii_names():
    # The Kelvin sign lower-cases to "k": "\u212aate" must not become kate.
    assert normalize_login("\u212aate") != "kate"
    assert not is_valid_hub_name(normalize_login("\u212aate"))


@pytest.mark.parametrize("name,account", [
    ("ada", "jupyter-ada"),
    ("root", "jupyter-root"),
    ("instructor", "jupyter-instructor"),
    ("traefik", "jupyter-traefik"),
    ("ada.lovelace", "jupyter-ada.lovelace"),
    ("x" * 23, "jupyter-" + "x" * 23),
])
def test_accounts_are_prefixed_so_no_student_is_a_system_account(name, account):
    assert system_account(name) == account


def test_long_names_are_shortened_to_32_characters_the_same_way_every_time():
    # Fixed values: a changed mapping would give returning students new, empty homes.
    assert system_account("x" * 24) == "jupyter-xxxxxxxxxxx-uze5xmczmweq"
    assert system_account("a-very-long-student-name.from.the.registrar") == "jupyter-a-very-long-s4hfcdbbrqbh"


def test_long_names_sharing_a_beginning_get_different_accounts():
    names = [f"student-with-a-long-name-{i}" for i in range(200)]
    accounts = {system_account(n) for n in names}
    assert len(accounts) == len(names)
    assert all(len(a) == 32 for a in accounts)


def test_a_plain_name_never_equals_a_shortened_one():
    long_one = system_account("averyveryl" + "o" * 30)
    looks_alike = long_one.removeprefix("jupyter-")
    # Its 24 characters are too long to be kept plain, so it is hashed too.
    assert system_account(looks_alike) != long_one


@pytest.mark.parametrize("name", ["../x", "Ada", "", "a@b", "émile"])
def test_invalid_names_have_no_account(name):
    with pytest.raises(ValueError, match="not a valid hub user name"):
        system_account(name)


@pytest.mark.parametrize("name", ["ada", "ada.lovelace", "x" * 24, "a-very-long-student-name.from.the.registrar", "root"])
def test_every_account_made_is_a_student_account(name):
    assert is_student_account(system_account(name))


@pytest.mark.parametrize("account", ["ada", "jupyter-", "jupyter-.x", "jupyter-Ada", "jupyter-a/b", "jupyter-" + "a" * 25,
                                     "instructor", "jupyter-ada-"])
def test_other_names_are_not_student_accounts(account):
    assert not is_student_account(account)
