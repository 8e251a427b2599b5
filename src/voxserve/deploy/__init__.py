"""Deployment profiles beyond ``voxserve serve``: Ray Serve (``voxserve serve --ray``)."""
