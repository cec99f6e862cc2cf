"""The user's own ComfyUI server as the studio's painter and video backend."""
