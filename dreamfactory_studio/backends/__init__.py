"""LLM, image, video, speech and vision backends, each behind a small protocol."""
