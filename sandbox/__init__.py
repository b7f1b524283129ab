"""Try Kurator in a terminal: the emulator, the real bot and a seed plan in one process."""
