"""voxserve.scheduler."""
