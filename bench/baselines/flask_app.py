"""The study's baseline: Flask under gunicorn sync workers, synthesizing inside the request.

    gunicorn --workers 2 --worker-class sync --bind 127.0.0.1:8001 flask_app:app

Run without ``--preload``: each worker imports this module, so each loads its own engine (the
same one-engine-per-process layout as voxserve's workers). No admission control, no queue
limits: a request waits in the listen backlog until a worker is free, however long that is.
"""

from __future__ import annotations

from typing import Any

import engine
from flask import Flask, Response, jsonify, request

app = Flask(__name__)
synthesizer = engine.load()


@app.get("/healthz")
def healthz() -> Any:
    """Liveness."""
    return jsonify(status="ok")


@app.post("/v1/tts")
def tts() -> Any:
    """``{"text": ..., "emotion": ..., "intensity": ...}`` in, WAV out (voxserve's native
    request, the fields the load sends)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
        return jsonify(error={"code": "invalid_request", "message": "text is required"}), 400
    emotion, intensity = body.get("emotion", "neutral"), body.get("intensity", 1.0)
    problem = engine.invalid_emotion(emotion, intensity)
    if problem:
        return jsonify(error={"code": "invalid_request", "message": problem}), 400
    data, duration = engine.synthesize_wav(synthesizer, body["text"], emotion, float(intensity))
    return Response(data, mimetype="audio/wav", headers={"X-Audio-Duration": f"{duration:.3f}"})
