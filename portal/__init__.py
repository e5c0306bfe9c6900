"""Hải Phòng reintegration portal."""
