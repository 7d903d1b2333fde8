"""Measurements of pcsim itself (not tests: they report numbers, they assert nothing)."""
