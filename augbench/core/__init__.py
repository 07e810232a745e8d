"""Plumbing every stage uses and that uses nothing else of augbench: device, on-disk cache, seeding, errors, provenance."""
