"""vault.domain."""
