"""HTTP surfaces: one package per vendor dialect, all over the same core."""
