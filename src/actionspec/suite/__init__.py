"""The conformance suite: scenarios, loading, comparison, running."""
