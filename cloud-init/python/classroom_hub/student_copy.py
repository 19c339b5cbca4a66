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
Standard library only: it runs isolated (-I) with the student's rights.
"""

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

UPSTREAM = "refs/classroom/upstream"
BASE = "refs/classroom/base"


def git(copy: Path, *args: str, stdin: bytes | None = None, env: dict | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(copy), *args], input=stdin, env=env,
                          check=True, capture_output=True).stdout


def commit_of(copy: Path, ref: str) -> str | None:
    found = subprocess.run(["git", "-C", str(copy), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def files_of(copy: Path, commit: str | None) -> dict[str, str]:
    """Path → blob id of every file in the commit; {} when there is none yet."""
    if commit is None:
        return {}
    files = {}
    for record in git(copy, "ls-tree", "-r", "-z", "--full-tree", commit).split(b"\0"):
        if record:
            meta, path = record.split(b"\t", 1)
            _mode, kind, blob = meta.split()
            if kind == b"blob":
                files[os.fsdecode(path)] = blob.decode()
    return files


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


def plan(copy: Path, old: dict[str, str], new: dict[str, str]) -> tuple[list[str], list[str]]:
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
        hashes = git(copy, "hash-object", "--stdin-paths", stdin="\n".join(compare).encode()).split()
        for path, on_disk in zip(compare, (h.decode() for h in hashes), strict=True):
            if on_disk == new[path]:
                continue
            (write if on_disk == old.get(path) else beside).append(path)
    return write, beside


def update(mirror_url: str, branch: str, directory: str) -> dict:
    copy = Path(directory)
    if not (copy / ".git").exists():
        copy.mkdir(parents=True, exist_ok=True)
        git(copy, "init", "--quiet", "-b", branch)
    git(copy, "fetch", "--quiet", "--no-tags", "--force", "--end-of-options", mirror_url,
        f"+refs/heads/{branch}:{UPSTREAM}")
    upstream, base = commit_of(copy, UPSTREAM), commit_of(copy, BASE)
    new = files_of(copy, upstream)
    write, beside = plan(copy, files_of(copy, base), new)
    if write:
        # A private index, so the student's own staged changes are not touched.
        index = Path(git(copy, "rev-parse", "--absolute-git-dir").decode().strip()) / "classroom-index"
        env = {**os.environ, "GIT_INDEX_FILE": str(index)}
        git(copy, "read-tree", upstream, env=env)
        git(copy, "checkout-index", "--force", "-z", "--stdin", stdin="\0".join(write).encode(), env=env)
        index.unlink()
    written_beside = []
    for path in beside:
        name = beside_name(path, upstream)
        if not os.path.lexists(copy / name):
            (copy / name).write_bytes(git(copy, "cat-file", "blob", new[path]))
            written_beside.append(name)
    git(copy, "update-ref", BASE, upstream)
    if commit_of(copy, "HEAD") in (None, base):
        git(copy, "reset", "--quiet", upstream)  # index and HEAD only; files stay as they are
    return {"commit": upstream[:7], "written": len(write), "beside": written_beside}


if __name__ == "__main__":
    try:
        print(json.dumps(update(*sys.argv[1:])))
    except subprocess.CalledProcessError as e:
        sys.exit(f"git {e.cmd[3]}: {e.stderr.decode(errors='replace').strip()}")
    except OSError as e:  # such as a file where the course directory should be
        sys.exit(str(e))
