"""Who may do what on the hub, from class.json's roster (staff.py): JupyterHub's groups and roles,
shared by both platforms' hub configuration.

- `students`: the roster's students; `course-staff`: the instructors and the teaching assistants.
- `admin`: the instructors, exactly (adminUsers).
- `teaching-assistant`: the teaching assistants, with TA_SCOPES and nothing more.

Every hub start applies the roster exactly, so `classroom-apply` (its restart keeps the students'
servers running) updates rights in place, removals included: JupyterHub replaces a role's members
by a `load_roles` entry that lists them (the admin role too, whose admin_users alone only ever
adds), and ClassroomLogin.add_user, which the hub calls for every user at each start, takes
users out of the class's groups the roster no longer puts them in (`load_groups` only adds).
"""

from .staff import STAFF_GROUP, STUDENTS_GROUP, course_staff, instructors, roster_students, teaching_assistants

TA_ROLE = "teaching-assistant"

_STUDENTS = f"!group={STUDENTS_GROUP}"
# What helping a student takes, on the students' group only: never an instructor's or another TA's
# server, no user, group, token, service or hub changes.
TA_SCOPES = [
    # The admin page (JupyterHub's UI), which lists the users and starts and stops their servers
    # through the API: each action below is allowed by its own scope, not by this one.
    "admin-ui",
    # Find the students: their names, groups, activity and the URL of a running server.
    f"list:users{_STUDENTS}",
    f"read:users{_STUDENTS}",
    # Start and stop their servers (read, start and delete:servers; not their state).
    f"servers{_STUDENTS}",
    # Open a student's server, as the student sees it, to help.
    f"access:servers{_STUDENTS}",
]


def hub_groups(auth: dict) -> dict[str, list[str]]:
    """The class's groups and their members: exactly these, at every hub start."""
    return {STUDENTS_GROUP: roster_students(auth), STAFF_GROUP: course_staff(auth)}


def hub_roles(auth: dict) -> list[dict]:
    """The roles whose members the roster decides; each lists them, so JupyterHub sets them exactly."""
    return [
        {"name": "admin", "users": instructors(auth)},
        {"name": TA_ROLE, "description": "Teaching assistants: list, open, start and stop the students' servers",
         "scopes": TA_SCOPES, "users": teaching_assistants(auth)},
    ]


def configure_rights(c, auth: dict) -> None:
    """Adds the class's groups and roles to the hub's configuration (after the platform's own roles)."""
    groups = hub_groups(auth)
    c.JupyterHub.load_groups = {name: {"users": members} for name, members in groups.items()}
    c.ClassroomLogin.class_groups = groups
    c.JupyterHub.load_roles.extend(hub_roles(auth))
