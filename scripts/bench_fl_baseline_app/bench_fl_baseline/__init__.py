"""Baseline Flower app for scripts/bench_fl.py (stock ClientApp/ServerApp/FedAvg)."""
