"""voxserve.api."""
