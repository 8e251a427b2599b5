"""Scheduling synthesis work onto a pool of worker processes.

The event loop never runs an engine: :class:`~voxserve.scheduler.pool.WorkerPool` owns the worker
processes (each loads its engines once), and :class:`~voxserve.scheduler.scheduler.Scheduler`
admits requests, fans their units out fairly over free workers and hands results back in order.
"""
