"""A thin Discord adapter over the answering core."""
