"""Prints every entry under the students' homes (or another folder) as JSON: what the e2e test compares across servers.

Run inside the guest as root. Owners by id and, where an account has that id, by name.
"""

import grp
import hashlib
import json
import os
import pwd
import stat
import sys

# The students' homes, or the folder given (the shared data folder).
HOMES = sys.argv[1] if len(sys.argv) > 1 else "/srv/classroom/home"


def name_of(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return None


def describe(path):
    st = os.lstat(path)
    kinds = {stat.S_IFDIR: "dir", stat.S_IFREG: "file", stat.S_IFLNK: "link"}
    entry = {
        "path": os.path.relpath(path, HOMES),
        "kind": kinds.get(stat.S_IFMT(st.st_mode), "other"),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "user": name_of(pwd.getpwuid, st.st_uid),
        "group": name_of(grp.getgrgid, st.st_gid),
        "mode": oct(stat.S_IMODE(st.st_mode)),
        "mtime": int(st.st_mtime),
    }
    if entry["kind"] == "file":
        with open(path, "rb") as content:
            entry["size"] = st.st_size
            entry["sha256"] = hashlib.sha256(content.read()).hexdigest()
    elif entry["kind"] == "link":
        entry["target"] = os.readlink(path)
    return entry


entries = []
for directory, subdirectories, files in os.walk(HOMES):
    subdirectories.sort()
    entries += [describe(os.path.join(directory, name)) for name in sorted(subdirectories + files)]
print(json.dumps(sorted(entries, key=lambda e: e["path"])))
