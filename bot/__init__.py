"""Kurator bot: entry point, settings, assembly, texts, keyboards and the CLI."""
