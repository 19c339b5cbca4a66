"""The course staff's groups and roles as classroom_hub.hub_rights renders them from class.json, and
what JupyterHub makes of the teaching assistants' scopes. test_course_staff.py proves them on a
running hub; test_hub_config.py that both platforms' configurations load them."""

from conftest import class_settings
from jupyterhub.scopes import expand_scopes

from classroom_hub.hub_rights import TA_ROLE, TA_SCOPES, hub_groups, hub_roles
from classroom_hub.staff import course_staff, teaching_assistants


def _auth() -> dict:
    auth = class_settings("oidc")["auth"]
    auth.update(allowedUsers=["Ada@example.edu", "grace.hopper@example.edu", "tara@example.edu"],
                adminUsers=["prof@example.edu", "dean@example.edu"], teachingAssistants=["tara@example.edu", "ta2@example.edu"])
    return auth


def test_the_groups_are_the_rosters_students_and_its_staff_by_hub_name():
    assert hub_groups(_auth()) == {
        # tara is on the student list too: as a TA she is staff, not a student.
        "students": ["ada", "grace.hopper"],
        "course-staff": ["prof", "dean", "tara", "ta2"],
    }
    assert teaching_assistants(_auth()) == ["tara", "ta2"]
    assert course_staff(_auth()) == ["prof", "dean", "tara", "ta2"]


def test_every_role_lists_its_members_so_the_hub_sets_them_exactly():
    admin, ta = hub_roles(_auth())
    assert admin == {"name": "admin", "users": ["prof", "dean"]}
    assert ta["name"] == TA_ROLE and ta["users"] == ["tara", "ta2"] and ta["scopes"] == TA_SCOPES
    # With nobody left, the roles still list their (no) members: the last TA removed loses the role.
    auth = {**_auth(), "teachingAssistants": []}
    assert hub_roles(auth)[1]["users"] == []


def test_a_teaching_assistant_holds_the_students_group_only_and_no_admin_scope():
    expanded = expand_scopes(TA_SCOPES)
    assert expanded == {
        "admin-ui",
        "list:users!group=students", "read:users!group=students", "read:users:name!group=students",
        "read:users:groups!group=students", "read:users:activity!group=students",
        "servers!group=students", "read:servers!group=students", "start:servers!group=students",
        "delete:servers!group=students",
        "access:servers!group=students",
    }
