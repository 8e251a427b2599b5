"""voxserve.models."""
