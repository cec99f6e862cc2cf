"""Running independent jobs together on the event loop."""

from __future__ import annotations

import asyncio


async def all_or_none(jobs, limit: int | None = None) -> list:
    """Run coroutines together, at most ``limit`` at once (all with none); the first failure (or a cancel)
    stops the rest and is raised as it is."""
    if limit is not None:
        room = asyncio.Semaphore(max(1, limit))

        async def in_turn(job):
            try:
                async with room:
                    return await job
            finally:
                job.close()  # one stopped before its turn never ran; unclosed, Python warns on stderr

        jobs = [in_turn(job) for job in jobs]
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
