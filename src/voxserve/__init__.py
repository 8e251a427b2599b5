"""voxserve: Mandarin + English text-to-speech with emotions, served over HTTP."""

__version__ = "0.1.0"
