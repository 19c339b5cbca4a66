"""Who is who in the class, by hub name: the students and the course staff. One place decides it, so
the hub's groups and roles, the warmer, and the files staff may write all agree."""

from .usernames import normalize_login

STUDENTS_GROUP = "students"
STAFF_GROUP = "course-staff"


def _hub_names(logins: list[str]) -> list[str]:
    return list(dict.fromkeys(normalize_login(login) for login in logins))


def instructors(auth: dict) -> list[str]:
    """The instructors (adminUsers), in roster order."""
    return _hub_names(auth["adminUsers"])


def teaching_assistants(auth: dict) -> list[str]:
    """The teaching assistants, in roster order (settings.py has refused one who is an instructor too)."""
    return _hub_names(auth["teachingAssistants"])


def course_staff(auth: dict) -> list[str]:
    """Everyone who teaches the class, instructors first, in roster order."""
    return list(dict.fromkeys(instructors(auth) + teaching_assistants(auth)))


def roster_students(auth: dict) -> list[str]:
    """The hub names of the roster's students (course staff excluded), in roster order."""
    staff = set(course_staff(auth))
    return [name for name in _hub_names(auth["allowedUsers"]) if name not in staff]
