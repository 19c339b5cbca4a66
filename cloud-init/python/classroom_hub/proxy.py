"""jupyterhub-traefik-proxy's file provider, writing routes Traefik can read.

The hub runs as root and Traefik as its own user. The proxy writes rules.toml through a temporary
file that is always 0600 root, so Traefik could not read the routes; this writes it root:traefik
0640 before the atomic rename, so Traefik never sees a partial or unreadable file.
"""

import grp
import os
import tempfile

from jupyterhub_traefik_proxy.fileprovider import TraefikFileProviderProxy
from jupyterhub_traefik_proxy.traefik_utils import TraefikConfigFileHandler
from traitlets import Unicode, default, observe


class RulesForTraefik(TraefikConfigFileHandler):
    def __init__(self, file_path: str, group: str):
        super().__init__(file_path)
        self.group = group

    def atomic_dump(self, data):
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(self.file_path)),
                                         prefix=".rules-")
        try:
            os.fchown(fd, -1, grp.getgrnam(self.group).gr_gid)
            os.fchmod(fd, 0o640)
            with os.fdopen(fd, "w") as f:
                self._dump(data, f)
            os.replace(temporary, self.file_path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


class ClassroomTraefikProxy(TraefikFileProviderProxy):
    traefik_group = Unicode("traefik", config=True, help="The group Traefik runs as; it reads the routes.")

    @default("dynamic_config_handler")
    def _rules_for_traefik(self):
        return RulesForTraefik(self.dynamic_config_file, self.traefik_group)

    # The base class's name: one observer replaces the other, so the base class's cannot run after
    # this one and put back a handler that writes 0600 files.
    @observe("dynamic_config_file", "traefik_group")
    def _set_dynamic_config_file(self, change):
        self.dynamic_config_handler = RulesForTraefik(self.dynamic_config_file, self.traefik_group)
