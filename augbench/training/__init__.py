"""The one training loop every method and every classifier shares (cells, FID's reference classifier, CAS)."""
