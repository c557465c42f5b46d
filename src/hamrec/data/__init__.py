"""Reading recordings, indexing datasets, splitting and augmenting them."""
