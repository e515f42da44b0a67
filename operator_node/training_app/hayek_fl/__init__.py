"""Hayek's Flower training app (ServerApp + ClientApp + the numpy model)."""
