"""Hayek's top: the `hayek` command line (`hayek.cli`) and the demo orchestrator
(`hayek.demo`), above both nodes; `python -m hayek` is `hayek`."""
