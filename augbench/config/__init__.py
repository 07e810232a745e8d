"""What a cell is before it runs: the registries, typed parameters, profiles and the cell's identity (config hash)."""
