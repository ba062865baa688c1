"""Shared test settings: hypothesis runs derandomized, so every run checks the same examples."""

from hypothesis import settings

settings.register_profile("nato-sim", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("nato-sim")
