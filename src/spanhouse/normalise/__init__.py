"""Pure functions: decoded spans -> canonical AI fields. No I/O here."""
