"""Kith's own Textual widgets.

Every widget here shows user-supplied text only through `tui.safe_text`, never as markup.
"""

from tui.widgets.contact_list import ContactList, ContactRow
from tui.widgets.filter import ContactFilter

__all__ = ["ContactFilter", "ContactList", "ContactRow"]
