"""The study's two servers, rebuilt on voxserve's engine: Flask + gunicorn, FastAPI + executor."""
