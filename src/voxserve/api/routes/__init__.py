"""HTTP routes: short functions that parse, call a service and return."""
