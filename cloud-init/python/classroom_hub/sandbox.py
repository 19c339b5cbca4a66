"""The sandbox every process of a student runs in: their server's unit (spawner.py) and the unit
that brings the course into their home (course_repo.py). systemd unit properties, as `systemd-run
--property` takes them; every value is a string (SystemdSpawner formats each one as a template).

`systemd-analyze security` rates a student's server unit 1.7 with these (10 is unconfined);
test/python/test_sandbox.py keeps it at 3.0 or less.
"""

# Secrets, cloud-init data, Traefik's certificates and API hash, the hub database: closed to
# students even if a permission is ever wrong. "-": the path may not exist.
CLOSED_PATHS = [
    "/etc/jupyterhub-classroom", "/var/lib/cloud", "/run/cloud-init", "/var/lib/traefik",
    "/var/lib/jupyterhub-classroom/traefik-rules", "/var/lib/jupyterhub",
]

# A private, empty and writable tmpfs in place of the machine's: students never see each other's
# shared memory or lock files.
PRIVATE_TMPFS = "mode=1777,nosuid,nodev"

STUDENT_SANDBOX = {
    # Own /tmp and /var/tmp; /dev holds only null, zero, random, tty and friends.
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "TemporaryFileSystem": f"/dev/shm:{PRIVATE_TMPFS} /run/lock:{PRIVATE_TMPFS}",
    # System V shared memory, semaphores and message queues of their own; left over ones removed.
    "PrivateIPC": "yes",
    "RemoveIPC": "yes",
    # The whole file system read-only but the home (ReadWritePaths, per student) and the above.
    "ProtectSystem": "strict",
    # The admin's and root's homes (students' homes live in /srv/classroom/home).
    "ProtectHome": "yes",
    "InaccessiblePaths": " ".join(f"-{path}" for path in CLOSED_PATHS),
    # Other users' processes (other students', the hub's) are invisible in /proc.
    "ProtectProc": "invisible",
    # sudo, setuid and setgid programs cannot raise a student's rights; no capability at all.
    "NoNewPrivileges": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",
    # No user, mount or network namespaces of their own (nor any other kind).
    "RestrictNamespaces": "yes",
    # Nothing of the kernel's to change: settings, modules, log, cgroups, clock, hostname.
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "LockPersonality": "yes",
    "RestrictRealtime": "yes",
    # IP and local sockets, and netlink (the C library asks it for the machine's addresses).
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX AF_NETLINK",
    # What ordinary programs call (kernels, compilers for pip, git, terminals), of this
    # architecture; the rest (mount, reboot, kernel modules, ptrace, …) fails with EPERM.
    "SystemCallArchitectures": "native",
    "SystemCallFilter": "@system-service",
    "SystemCallErrorNumber": "EPERM",
    # The metadata service and link-local addresses, also by systemd's cgroup firewall (BPF),
    # which needs the unified cgroup hierarchy: a Droplet has it, a container on a cgroup v1 host
    # (the test server) does not and ignores this. The nftables rules (students.nft) block
    # these and private ranges everywhere.
    "IPAddressDeny": "169.254.0.0/16 fe80::/10",
}
# MemoryDenyWriteExecute= is left out: it refuses writable and executable memory, which the JIT
# compilers students use need (numba, Julia, PyPy).


def student_unit_properties(home: str, *extras: dict[str, str] | None) -> dict[str, str]:
    """The sandbox of a student whose home is `home`, the one place they may write; each of `extras`
    adds to it (shared_data.unit_properties: one more writable path, a group, for course staff;
    grading.unit_properties: nbgrader's exchange writable, the formgrader's port closed)."""
    properties = {**STUDENT_SANDBOX, "ReadWritePaths": home}
    for extra in extras:
        for key, value in (extra or {}).items():
            properties[key] = f"{properties[key]} {value}" if key in properties else value
    return properties
