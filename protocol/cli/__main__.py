"""`python -m protocol.cli` is `hayek` (the demo starts its nodes this way)."""

from protocol.cli import main

main()
