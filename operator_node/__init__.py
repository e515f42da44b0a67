"""Operator node: trains through Flower (SuperLink + ServerApp), proves, trades, serves."""
