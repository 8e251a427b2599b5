"""voxserve.engines."""
