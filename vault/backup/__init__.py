"""vault.backup.create."""
