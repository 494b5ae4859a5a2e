"""Shared by the tests, not tests themselves: strategies, stand-ins, subprocess and build helpers."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (where main.py is)."""
