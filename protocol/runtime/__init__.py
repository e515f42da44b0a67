"""What both nodes need from the operating system: child processes and ports
(`processes`), Flower's process environment (`flower`), encrypted keystores (`keystore`)."""
