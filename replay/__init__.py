"""Replaying scenarios through the whole system (see replay/engine.py); `wa replay`, `wa demo`."""
