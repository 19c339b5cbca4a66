"""Who is who in the class, by hub name: the students and the course staff. One place decides it, so
the hub's groups and roles, the warmer, and the files staff may write all agree."""

from .usernames import normalize_login

STUDENTS_GROUP = "students"
STAFF_GROUP = "course-staff"


def instructors(auth: dict) -> list[str]:
    """The instructors (adminUsers), in roster order."""
    return list(dict.fromkeys(normalize_login(login) for login in auth["adminUsers"]))


def course_staff(auth: dict) -> list[str]:
    """Everyone who teaches the class, in roster order."""
    return instructors(auth)


def roster_students(auth: dict) -> list[str]:
    """The hub names of the roster's students (course staff excluded), in roster order."""
    staff = set(course_staff(auth))
    names = (normalize_login(login) for login in auth["allowedUsers"])
    return list(dict.fromkeys(name for name in names if name not in staff))
