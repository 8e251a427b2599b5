"""Who may use the service and how much: API keys, per-key limits, and guards against abusive
clients (slow headers, XML entity bombs).

- :mod:`~voxserve.security.keys`: hashed API keys in ``data_dir`` (``voxserve keys ...``);
- :mod:`~voxserve.security.limits`: token buckets and concurrency slots per key or address;
- :mod:`~voxserve.security.middleware`: the ASGI middleware that applies both;
- :mod:`~voxserve.security.http`: uvicorn's HTTP protocol with a header deadline and size limit;
- :mod:`~voxserve.security.xml`: XML parsing without DTDs or entities (for SSML).
"""
