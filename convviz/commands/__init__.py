"""Headless sub-commands of the command line (see convviz.cli)."""
