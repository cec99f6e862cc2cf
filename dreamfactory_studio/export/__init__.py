"""Video assembly, subtitles, PDF storyboard and image sequences."""
