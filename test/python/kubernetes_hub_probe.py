"""Loads a kubernetes class's hub configuration the way the chart's hub pod does, with the chart's
hub environment (platforms/kubernetes/requirements/hub.txt: its JupyterHub, KubeSpawner and
OAuthenticator), and prints what the hub would run with, as JSON.

    .venv-k8s/bin/python kubernetes_hub_probe.py VALUES_JSON ROOT

ROOT stands for the pod's file system: hub.extraFiles are written under it at their mountPath,
and hub.extraEnv paths point into it. The chart's own jupyterhub_config.py is not run (it needs
the cluster); its handling of the values this project sets is mirrored below, from
jupyterhub/files/hub/jupyterhub_config.py at tag 4.4.0 of jupyterhub/zero-to-jupyterhub-k8s.
The class's part, hub.extraConfig, runs as the chart runs it: exec() with `c` in scope.
"""

import asyncio
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from jupyterhub.app import JupyterHub
from traitlets.config import Config, Configurable

OAUTH_CLIENT_SECRET = "client-secret-from-the-k8s-secret"
LOGINS = ["ada", "Ada@Example.EDU", "Grace.Hopper@Example.edu", "../x", "a/b", "\u212aate", "-rf"]


def mount(values: dict, root: Path) -> None:
    """What the chart's hub Deployment does with hub.extraFiles and hub.extraEnv."""
    for name, file in values["hub"]["extraFiles"].items():
        path = root / file["mountPath"].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file["stringData"])
    for name, value in values["hub"]["extraEnv"].items():
        if isinstance(value, dict):
            ref = value["valueFrom"]["secretKeyRef"]
            assert ref["name"] == values["hub"]["existingSecret"], ref
            os.environ[name] = OAUTH_CLIENT_SECRET
        else:
            os.environ[name] = str(root / value.lstrip("/")) if value.startswith("/") else value
    sys.path.insert(0, os.environ["PYTHONPATH"])
    # KubeSpawner loads a client config when it is made; this one names a port nothing listens
    # on, and building the pod manifest never calls the API.
    kubeconfig = root / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "probe",
        "clusters": [{"name": "probe", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "probe", "user": {"token": "probe"}}],
        "contexts": [{"name": "probe", "context": {"cluster": "probe", "user": "probe"}}],
    }))
    os.environ["KUBECONFIG"] = str(kubeconfig)


def chart_config(values: dict) -> Config:
    """The chart's mapping of the values this project sets (see the module docstring)."""
    c = Config()
    hub, single, cull = values["hub"], values["singleuser"], values["cull"]
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.JupyterHub.concurrent_spawn_limit = hub["concurrentSpawnLimit"]
    c.KubeSpawner.start_timeout = single["startTimeout"]
    c.KubeSpawner.mem_limit = single["memory"]["limit"]
    c.KubeSpawner.mem_guarantee = single["memory"]["guarantee"]
    c.KubeSpawner.cpu_limit = single["cpu"]["limit"]
    c.KubeSpawner.cpu_guarantee = single["cpu"]["guarantee"]
    c.KubeSpawner.init_containers = single.get("initContainers", [])
    c.KubeSpawner.image = f"{single['image']['name']}:{single['image']['tag']}"
    c.Spawner.default_url = single["defaultUrl"]
    storage = single["storage"]
    volume = storage["dynamic"]["volumeNameTemplate"]
    c.KubeSpawner.storage_pvc_ensure = True
    c.KubeSpawner.storage_class = storage["dynamic"]["storageClass"]
    c.KubeSpawner.storage_capacity = storage["capacity"]
    volumes = {volume: {"name": volume, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}}
    mounts = {volume: {"mountPath": storage["homeMountPath"], "name": volume}}
    files = single.get("extraFiles", {})
    if files:
        volumes["files"] = {"name": "files", "secret": {"secretName": "singleuser",
                                                         "items": [{"key": k, "path": k} for k in files]}}
        for index, (key, file) in enumerate(files.items()):
            mounts[f"{index}-files"] = {"mountPath": file["mountPath"], "subPath": key, "name": "files"}
    c.KubeSpawner.volumes = volumes
    c.KubeSpawner.volume_mounts = mounts
    c.JupyterHub.services = []
    c.JupyterHub.load_roles = []
    if cull["enabled"]:
        c.JupyterHub.services = [{"name": "jupyterhub-idle-culler", "command": [
            "python3", "-m", "jupyterhub_idle_culler", "--url=http://localhost:8081/hub/api",
            f"--timeout={cull['timeout']}", "--cull-admin-users=false"]}]
        c.JupyterHub.load_roles = [{"name": "jupyterhub-idle-culler", "services": ["jupyterhub-idle-culler"],
                                    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]}]
    for section, settings in hub.get("config", {}).items():
        c[section].update(settings)
    for _key, source in sorted(hub["extraConfig"].items()):
        exec(source, {"c": c})  # noqa: S102 (what the chart does with hub.extraConfig)
    return c


def unrecognized(app: JupyterHub, classes: list[type]) -> list[str]:
    """Every config key that no configurable class of this hub has."""
    traits: dict[str, set[str]] = {}
    for cls in classes:
        for base in cls.mro():
            if isinstance(base, type) and issubclass(base, Configurable):
                traits.setdefault(base.__name__, set()).update(base.class_trait_names(config=True))
    return [f"{section}.{key}" for section, values in app.config.items()
            for key in values if key not in traits.get(section, ())]


def main(values_path: str, root: str) -> None:
    values = json.loads(Path(values_path).read_text())
    mount(values, Path(root))
    # Imported once KUBECONFIG is set: the client reads it when imported.
    from kubespawner import KubeSpawner

    app = JupyterHub()
    records = []
    app.log.addHandler(type("H", (__import__("logging").Handler,), {"emit": lambda self, r: records.append(r.getMessage())})())
    app.update_config(chart_config(values))
    authenticator = app.authenticator_class(parent=app)

    async def spawn():
        # KubeSpawner makes its API client on the running event loop, as in the hub.
        made = KubeSpawner(parent=app, user=SimpleNamespace(name="ada", id=1, url="/user/ada/"), _mock=True)
        return made, (await made.get_pod_manifest()).to_dict()

    spawner, pod = asyncio.run(spawn())
    # As the hub does at start (JupyterHub.init_users).
    authenticator.allowed_users = {authenticator.normalize_username(u) for u in authenticator.allowed_users}
    authenticator.admin_users = {authenticator.normalize_username(u) for u in authenticator.admin_users}
    import classroom_hub
    print(json.dumps({
        "unrecognized": unrecognized(app, [JupyterHub, app.authenticator_class, KubeSpawner])
        + [m for m in records if "not recognized" in m],
        "classroom_hub": classroom_hub.__file__,
        "templates": str(classroom_hub.TEMPLATES),
        "app": {"spawner_class": app.spawner_class.__name__, "concurrent_spawn_limit": app.concurrent_spawn_limit,
                "template_vars": app.template_vars, "template_paths": app.template_paths,
                "services": app.services, "load_roles": app.load_roles, "load_groups": app.load_groups},
        "authenticator": {
            "class": type(authenticator).__name__, "client_id": authenticator.client_id,
            "client_secret": authenticator.client_secret, "callback": authenticator.oauth_callback_url,
            "allowed_users": sorted(authenticator.allowed_users), "admin_users": sorted(authenticator.admin_users),
            "allow_existing_users": authenticator.allow_existing_users, "allow_all": authenticator.allow_all,
            "roster_emails": authenticator.roster_emails, "scope": authenticator.scope,
            "class_groups": authenticator.class_groups,
            "logins": {login: [authenticator.normalize_username(login),
                               bool(authenticator.validate_username(authenticator.normalize_username(login)))]
                       for login in LOGINS},
        },
        "spawner": {"image": spawner.image, "mem_limit": spawner.mem_limit, "mem_guarantee": spawner.mem_guarantee,
                    "cpu_limit": spawner.cpu_limit, "cpu_guarantee": spawner.cpu_guarantee,
                    "default_url": spawner.default_url, "start_timeout": spawner.start_timeout,
                    "storage_class": spawner.storage_class, "storage_capacity": spawner.storage_capacity},
        "pod": {"volumes": [v["name"] for v in pod["spec"]["volumes"]],
                "init_containers": pod["spec"]["init_containers"] or [],
                "container_mounts": pod["spec"]["containers"][0]["volume_mounts"]},
    }, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:])
