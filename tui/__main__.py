"""``python -m tui`` runs the ``kith`` command line."""

from tui.cli import entry

entry()
