"""Walking a pipeline back: which steps invert, affine folding, raw-space bounds."""
