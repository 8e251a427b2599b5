"""Fault injection against real servers: killed workers, full and read-only disks, bad models."""
