"""The instructor's operations on the server: health check, archive, restore, sync and upgrade.

Each has a thin executable beside cloud-init/ (classroom-health, …) that runs with the system
python3; this package holds their logic so the tests can call it directly.
"""
