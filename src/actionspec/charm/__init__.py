"""The charm side: what the charm framework does with a dispatch."""
