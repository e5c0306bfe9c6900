"""Returnee management: dossiers through their legal lifecycle."""
