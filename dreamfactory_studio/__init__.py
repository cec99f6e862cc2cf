"""DreamFactory Studio: a storyboard editor that turns a story into a multi-scene film."""

__version__ = "0.1.0"
