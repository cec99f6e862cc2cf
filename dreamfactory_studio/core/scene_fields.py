"""The scene's text fields a person edits, named once for the CLI's options, the edits and the window (a module
with no imports, so the CLI's parser reads it without loading the model)."""

SCENE_TEXT_FIELDS = ("title", "script", "narration", "shot", "camera", "notes")
