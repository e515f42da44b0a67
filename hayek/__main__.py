"""`python -m hayek` is `hayek` (the demo starts its nodes this way)."""

from hayek.cli import main

main()
