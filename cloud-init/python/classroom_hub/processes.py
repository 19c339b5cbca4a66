"""Runs a command for the hub without blocking it, and never leaves it behind."""

import asyncio
import os
import signal


class CommandError(RuntimeError):
    pass


async def run(command: list[str], *, timeout: float | None = None, **options) -> str:
    """Returns the command's stdout; raises CommandError with its stderr when it fails.

    The command runs in its own session, so on a timeout, or when the caller is cancelled (a
    pre-spawn hook running out of time), the whole group (git and its helpers) is killed.
    """
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True, **options)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise
    if process.returncode != 0:
        raise CommandError(f"{os.path.basename(command[0])} exited with {process.returncode}: "
                           f"{stderr.decode(errors='replace').strip()}")
    return stdout.decode(errors="replace")
