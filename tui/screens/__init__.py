"""The screens of the Kith terminal UI, one module per screen (or per small family of dialogs).

Every screen shows user-supplied text only through `tui.safe_text` (a `rich.text.Text`, never
markup), and holds contact data only while the vault is unlocked: locking removes every screen.
"""
