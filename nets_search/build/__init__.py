"""Making a new index version: building, what changed, calibration, and the rebuild with its post-build checks."""
