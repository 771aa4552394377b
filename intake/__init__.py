"""Intake: sign-ups from a web form or by SMS, sealed to the organizers' key, imported here.

    kith intake create NAME --relay relay:URL ...   (intake/forms.py: the form and its key)
    kith intake pull NAME                           (intake/pull.py: open, import, acknowledge)
    kith intake kiosk NAME                          (the same form served on this machine)

Layering: ``intake`` sits beside ``sync`` and ``outreach`` (``tui -> intake -> vault``); it
opens submissions through ``vault.crypto.intake_seal`` and talks to a relay through the sync
relay client's HTTP layer only by way of ``tui``.
"""
