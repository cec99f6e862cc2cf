"""The project model, the project folder on disk, settings and logs. Pure Python."""
