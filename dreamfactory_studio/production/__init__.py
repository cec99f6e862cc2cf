"""Agents, phases, the chat chain, keyframe iteration and the job runner (asyncio, no Qt)."""
