"""vault.core."""
