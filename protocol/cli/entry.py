"""`python -m protocol.cli.entry` runs the `hayek` command (for child processes in tests)."""

from protocol.cli import main

if __name__ == "__main__":
    main()
