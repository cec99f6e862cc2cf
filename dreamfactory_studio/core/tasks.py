"""Running independent jobs together on the event loop."""

from __future__ import annotations

import asyncio


async def all_or_none(jobs) -> list:
    """Run coroutines together; the first failure (or a cancel) stops the rest and is raised as it is."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
