"""A Droplet class's archive, restored into the cluster's students' volumes (platforms/kubernetes/
split_archive.py and restore.ts): the archive made by the Droplet's own classroom-archive code,
split per student, and each student's part extracted by the restore pod's own command, as the
student's uid and group (setpriv, as the pod's securityContext runs it), into a directory standing
for their volume. The claim names are compared with the real KubeSpawner's (in .venv-k8s, the
chart's hub environment). What needs a cluster (kubectl run's stdin into a pod, the volume) is
not here: docs/kubernetes.md says so.
"""

import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import REPO

from classroom_hub.usernames import system_account
from classroom_ops import archive, layout

sys.path.insert(0, str(REPO / "platforms" / "kubernetes"))
import split_archive  # noqa: E402

K8S_PYTHON = REPO / ".venv-k8s" / "bin" / "python"
LONG_NAME = "a-very-long-student-name-indeed"  # over 23 characters: a hashed Droplet account
STRAY = "a-long-name-nobody-has-in-the-database"


def droplet_archive(tmp_path: Path, monkeypatch) -> Path:
    """An archive as classroom-archive makes it on a Droplet (its make_archive, layout pointed at tmp)."""
    homes = tmp_path / "srv" / "home"
    ada = homes / "jupyter-ada"
    (ada / "notes").mkdir(parents=True)
    (ada / "notes" / "lab1.ipynb").write_text('{"cells": ["ada\'s own work"]}')
    (ada / "notes" / "lab1.ipynb").chmod(0o640)
    (ada / "script.sh").write_text("echo hi\n")
    (ada / "script.sh").chmod(0o755)
    os.symlink("notes/lab1.ipynb", ada / "latest")
    os.link(ada / "script.sh", ada / "same-script.sh")
    os.mkfifo(ada / "a-fifo")
    (ada / ".cache").mkdir()
    (ada / ".cache" / "big").write_text("rebuilt on use")
    (homes / "jupyter-grace.h").mkdir()
    long_home = homes / system_account(LONG_NAME)
    long_home.mkdir()
    (long_home / "essay.md").write_text("long-named work")
    (homes / system_account(STRAY)).mkdir()
    for home in homes.iterdir():
        os.chown(home, 4242, 4242)  # the Droplet's uid: not the cluster's
    database = tmp_path / "hub.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO users (name) VALUES (?)", [("ada",), ("grace.h",), (LONG_NAME,)])
    monkeypatch.setattr(layout, "HOMES", homes)
    monkeypatch.setattr(layout, "HUB_DATABASE", database)
    target = tmp_path / "classroom-20260101T000000Z.tar.gz"
    archive.make_archive(target)
    return target


def restore_pod(tmp_path: Path) -> dict:
    """The restore pod of restore.ts for one student of a kubernetes class, by the stack's own code."""
    stack = tmp_path / "Pulumi.k8s.yaml"
    stack.write_text(json.dumps({"config": {f"jupyterhub-classroom:{k}": v for k, v in {
        "platform": "kubernetes", "kubernetesVersion": "1.34.1-do.0", "dnsZone": "example.edu", "subdomain": "engr101",
        "letsEncryptEmail": "prof@example.edu", "authProvider": "github", "oauthClientId": "Iv1.0123456789abcdef",
        "oauthClientSecret": {"secure": "v1:not-read"}, "allowedUsers": ["ada"], "studentStorageGb": "7",
    }.items()}}))
    script = ("import { readFileSync } from 'node:fs';"
              "import { parseClassConfig } from './lib/config/classConfig';"
              "import { rawClassConfigFromStackFile } from './lib/config/stack';"
              "import { restoreObjects } from './platforms/kubernetes/restore';"
              f"const cfg = parseClassConfig(rawClassConfigFromStackFile(readFileSync({json.dumps(str(stack))}, 'utf8')));"
              "console.log(JSON.stringify(restoreObjects(cfg, { hubName: 'grace.h', claim: 'claim-grace-h---0', tar: 'x' })));")
    out = subprocess.run(["npx", "--no-install", "tsx", "--eval", script], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_archive_splits_into_one_tar_per_student_named_by_their_claim(tmp_path, monkeypatch):
    split = split_archive.split(droplet_archive(tmp_path, monkeypatch), tmp_path / "out")
    by_name = {s["hubName"]: s for s in split["students"]}
    assert sorted(by_name) == sorted(["ada", "grace.h", LONG_NAME])
    assert by_name["ada"]["claim"] == "claim-ada"
    assert by_name[LONG_NAME]["account"] == system_account(LONG_NAME)
    # A hashed account with no user of that name in the hub database cannot be named: it is listed, not guessed.
    assert split["unnamed"] == [system_account(STRAY)]
    with tarfile.open(by_name["ada"]["tar"]) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert sorted(members) == ["latest", "notes", "notes/lab1.ipynb", "same-script.sh", "script.sh"]
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(1000, 100, "jovyan", "users")}
    assert members["latest"].issym() and members["latest"].linkname == "notes/lab1.ipynb"
    hard = members["same-script.sh"] if members["same-script.sh"].islnk() else members["script.sh"]
    assert hard.islnk() and hard.linkname in ("script.sh", "same-script.sh")
    assert members["notes/lab1.ipynb"].mode == 0o640
    # grace.h's home was empty: an empty tar, and her claim is still made.
    with tarfile.open(by_name["grace.h"]["tar"]) as tar:
        assert tar.getmembers() == []


def test_the_restore_pods_command_as_the_student_keeps_what_is_already_there(tmp_path, monkeypatch, world_dir, as_root):
    split = split_archive.split(droplet_archive(tmp_path, monkeypatch), tmp_path / "out")
    ada = next(s for s in split["students"] if s["hubName"] == "ada")
    pod = restore_pod(tmp_path)["pod"]["spec"]
    context, container = pod["securityContext"], pod["containers"][0]
    assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (1000, 100, 100)
    # The volume, as the student's first start left it: the course copy wrote lab1.ipynb.
    volume = world_dir / "volume"
    (volume / "notes").mkdir(parents=True)
    (volume / "notes" / "lab1.ipynb").write_text("the course's copy")
    for path in (volume, volume / "notes", volume / "notes" / "lab1.ipynb"):
        os.chown(path, 1000, 100)
    command = [f"--directory={volume}" if arg.startswith("--directory=") else arg for arg in container["command"]]
    with open(ada["tar"], "rb") as stdin:
        out = subprocess.run(["setpriv", f"--reuid={context['runAsUser']}", f"--regid={context['runAsGroup']}", "--clear-groups", *command],
                             stdin=stdin, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (volume / "script.sh").read_text() == "echo hi\n"
    assert os.stat(volume / "script.sh").st_mode & 0o777 == 0o755
    assert os.readlink(volume / "latest") == "notes/lab1.ipynb"
    assert os.stat(volume / "same-script.sh").st_ino == os.stat(volume / "script.sh").st_ino
    assert (volume / "notes" / "lab1.ipynb").read_text() == "the course's copy", "an existing file is never replaced"
    for path in [volume, *volume.rglob("*")]:
        st = os.lstat(path)
        assert (st.st_uid, st.st_gid) == (1000, 100), path


def test_an_archive_not_made_by_classroom_archive_is_refused(tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        info = tarfile.TarInfo("home/jupyter-ada/x")
        tar.addfile(info, None)
    assert split_archive.main([str(bogus), str(tmp_path / "out")]) == 1


NAMES = ["ada", "grace.h", "a_b", "2ada", "ada-", "ab--c", "Ada", "x" * 48, "x" * 49, LONG_NAME, "-ada", "ada.lovelace-byron_the.first.programmer.of.all"]


def test_claim_names_are_kubespawners(tmp_path):
    if not K8S_PYTHON.exists():
        pytest.fail("no .venv-k8s: create it as test/python/README.md says (the chart's hub environment)")
    kubeconfig = tmp_path / "kubeconfig"
    # KubeSpawner loads a client config when it is made; nothing is called.
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "p",
        "clusters": [{"name": "p", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "p", "user": {"token": "p"}}], "contexts": [{"name": "p", "context": {"cluster": "p", "user": "p"}}],
    }))
    probe = ("import asyncio, json, sys\n"
             "from types import SimpleNamespace\n"
             "from kubespawner import KubeSpawner\n"
             "async def main():\n"
             "    out = {}\n"
             "    for name in json.loads(sys.argv[1]):\n"
             "        s = KubeSpawner(user=SimpleNamespace(name=name, id=1, url='/'), _mock=True)\n"
             "        s.storage_class, s.storage_capacity = 'do-block-storage-retain', '7Gi'\n"
             "        out[name] = s.get_pvc_manifest().to_dict()\n"
             "    print(json.dumps(out, default=str))\n"
             "asyncio.run(main())\n")
    out = subprocess.run([str(K8S_PYTHON), "-I", "-c", probe, json.dumps(NAMES)], capture_output=True, text=True,
                         env={**os.environ, "KUBECONFIG": str(kubeconfig)})
    assert out.returncode == 0, out.stderr
    manifests = json.loads(out.stdout)
    assert {n: split_archive.claim_name(n) for n in NAMES} == {n: m["metadata"]["name"] for n, m in manifests.items()}
    # The claim the restore makes before a first login is the one KubeSpawner would make.
    ours = restore_pod(tmp_path)["claim"]["spec"]
    theirs = manifests["ada"]["spec"]
    assert (ours["accessModes"], ours["storageClassName"], ours["resources"]["requests"]) == \
        (theirs["access_modes"], theirs["storage_class_name"], theirs["resources"]["requests"])
