"""Brings the course into a student's copy. Runs as the student, started by course_repo.py:

    python -I student_copy.py MIRROR_URL BRANCH DIRECTORY

DIRECTORY is relative to the current directory (the student's home). The rules, like
nbgitpuller's but decided file by file, so a notebook is never merged line by line:

- a course file missing from the copy is written: new course files, and files the student deleted;
- a file the student did not change follows the course;
- a file the student changed is never overwritten; when the course changed it too, the course's
  version is written beside it as NAME.upstream-COMMIT.EXT (lab1.upstream-1a2b3c4.ipynb);
- nothing is ever deleted, not even files the course removed;
- course files are never written through, or in place of, something else of the student's
  (a file or symlink where the course has a directory).

"Changed by the student" means different from the course commit the copy was last brought to,
recorded in refs/classroom/base. HEAD follows the course unless the student made commits.
Standard library only: it runs isolated (-I) with the student's rights, in a unit of its own
(course_repo.py).

The copy is the student's: whatever they put in its .git/config, .git/info/attributes or
.gitattributes (hooks, fsmonitor, filter drivers, upload-pack or ssh commands, submodules) is never
run. Every git call overrides the settings that run programs (SAFE_GIT), course files are written
from the blobs, never through git's filters, and git never hashes or refreshes through them.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import NamedTuple

UPSTREAM = "refs/classroom/upstream"
BASE = "refs/classroom/base"
# Command-line settings outrank the repository's, and git hands them to every git it starts.
SAFE_GIT = [
    "-c", "core.hooksPath=/dev/null",  # no hook: reference-transaction, post-index-change, pre-auto-gc…
    "-c", "core.fsmonitor=false",
    "-c", "core.sshCommand=false", "-c", "core.gitProxy=false", "-c", "core.askPass=false",
    "-c", "credential.helper=",
    # No transport but the one update() allows for the course URL's own scheme, whatever
    # url.*.insteadOf rewrites that URL to.
    "-c", "protocol.allow=never",
    "-c", "submodule.recurse=false", "-c", "fetch.recurseSubmodules=false",
    "-c", "gc.auto=0", "-c", "maintenance.auto=false",
]
SYMLINK = "120000"
EXECUTABLE = "100755"


class Blob(NamedTuple):
    mode: str
    oid: str


def git(copy: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", *SAFE_GIT, "-C", str(copy), *args], input=stdin,
                          check=True, capture_output=True).stdout


def commit_of(copy: Path, ref: str) -> str | None:
    found = subprocess.run(["git", *SAFE_GIT, "-C", str(copy), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def files_of(copy: Path, commit: str | None) -> dict[str, Blob]:
    """Path → mode and blob id of every file (and symlink) in the commit; {} when there is none yet."""
    if commit is None:
        return {}
    files = {}
    for record in git(copy, "ls-tree", "-r", "-z", "--full-tree", commit).split(b"\0"):
        if record:
            meta, path = record.split(b"\t", 1)
            mode, kind, blob = meta.split()
            if kind == b"blob":
                files[os.fsdecode(path)] = Blob(mode.decode(), blob.decode())
    return files


def contents(copy: Path, blobs: list[str]) -> list[bytes]:
    """The blobs' bytes as committed (cat-file applies no filter), read by one git."""
    if not blobs:
        return []
    out = git(copy, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in blobs).encode())
    found, at = [], 0
    for _ in blobs:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        found.append(out[header_end + 1:header_end + 1 + size])
        at = header_end + 1 + size + 1
    return found


def write_file(target: Path, blob: Blob, content: bytes) -> None:
    """As git would check the file out (a symlink, or a file 644 or 755), replacing in one step
    what is there: a course file the student did not change, or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if blob.mode == SYMLINK:
        if os.path.lexists(target):
            target.unlink()
        os.symlink(content, target)
        return
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".classroom-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            os.fchmod(file.fileno(), 0o755 if blob.mode == EXECUTABLE else 0o644)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def may_write(copy: Path, path: str) -> bool:
    """Every directory on the way must be a real directory or absent."""
    if "\n" in path:  # git hash-object --stdin-paths reads one path a line
        return False
    current = copy
    for part in PurePosixPath(path).parts[:-1]:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            return False
    return True


def beside_name(path: str, commit: str) -> str:
    """lab1.ipynb → lab1.upstream-1a2b3c4.ipynb (still opens as a notebook); Makefile and
    .gitignore → Makefile.upstream-1a2b3c4 and .gitignore.upstream-1a2b3c4."""
    p = PurePosixPath(path)
    tag = f"upstream-{commit[:7]}"
    return str(p.with_name(f"{p.stem}.{tag}{p.suffix}" if p.suffix else f"{p.name}.{tag}"))


def plan(copy: Path, old: dict[str, Blob], new: dict[str, Blob]) -> tuple[list[str], list[str]]:
    """Which course files to write into the copy, and which to write beside the student's."""
    write, compare, beside = [], [], []
    for path, blob in new.items():
        target = copy / path
        if not may_write(copy, path):
            continue
        if not os.path.lexists(target):
            write.append(path)
        elif old.get(path) == blob:
            continue  # the course did not change it: the student's version stands
        elif target.is_file() and not target.is_symlink():
            compare.append(path)
        else:
            beside.append(path)
    if compare:
        hashes = git(copy, "hash-object", "--no-filters", "--stdin-paths", stdin="\n".join(compare).encode()).split()
        for path, on_disk in zip(compare, (h.decode() for h in hashes), strict=True):
            if on_disk == new[path].oid:
                continue
            (write if path in old and on_disk == old[path].oid else beside).append(path)
    return write, beside


def update(mirror_url: str, branch: str, directory: str) -> dict:
    copy = Path(directory)
    if not (copy / ".git").exists():
        copy.mkdir(parents=True, exist_ok=True)
        git(copy, "init", "--quiet", "-b", branch)
    # The course URL's scheme only: file:// for the Droplet's mirror, https:// in a Kubernetes pod.
    scheme = mirror_url.split("://", 1)[0] if "://" in mirror_url else "file"
    # --upload-pack: not one a remote.<url>.uploadpack setting names.
    git(copy, "-c", f"protocol.{scheme}.allow=always", "fetch", "--quiet", "--no-tags", "--force", "--no-recurse-submodules", "--upload-pack=git-upload-pack",
        "--end-of-options", mirror_url, f"+refs/heads/{branch}:{UPSTREAM}")
    upstream, base = commit_of(copy, UPSTREAM), commit_of(copy, BASE)
    new = files_of(copy, upstream)
    write, beside = plan(copy, files_of(copy, base), new)
    for path, content in zip(write, contents(copy, [new[path].oid for path in write]), strict=True):
        write_file(copy / path, new[path], content)
    written_beside = []
    for path in beside:
        name = beside_name(path, upstream)
        if not os.path.lexists(copy / name):
            (copy / name).write_bytes(git(copy, "cat-file", "blob", new[path].oid))
            written_beside.append(name)
    git(copy, "update-ref", BASE, upstream)
    if commit_of(copy, "HEAD") in (None, base):
        # Index and HEAD only; files stay as they are. No refresh: it would hash files through filters.
        git(copy, "reset", "--quiet", "--no-refresh", upstream)
    return {"commit": upstream[:7], "written": len(write), "beside": written_beside}


if __name__ == "__main__":
    try:
        print(json.dumps(update(*sys.argv[1:])))
    except subprocess.CalledProcessError as e:
        subcommand = next(arg for arg in e.cmd[len(SAFE_GIT) + 3:] if not arg.startswith("-") and "=" not in arg)
        sys.exit(f"git {subcommand}: {e.stderr.decode(errors='replace').strip()}")
    except OSError as e:  # such as a file where the course directory should be
        sys.exit(str(e))
