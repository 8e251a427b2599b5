"""voxserve.audio."""
