"""voxserve.prosody."""
