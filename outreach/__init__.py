"""Outreach (issue 8): targeted email and SMS that respect each person's preferences.

    template.py   the strict merge-field parser and renderer (never ``str.format``)
    audience.py   who an audience names, and who of them may be reached (with reasons)
    outbox.py     sealed messages and per-recipient delivery state
    config.py     transport settings, sealed (passwords never on argv or disk in the clear)
    email_out.py  one MIME message per recipient; the SMTP transport
    sms_gateway.py  the SMS Gateway for Android local-server client
    sender.py     the send loop: rate limit, at-most-once resume, interaction logging
    replies.py    replies (mbox/Maildir, SMS webhook payloads): matching, keywords
    report.py     sent / failed / replied / opted out / acted, as counts and rates
"""
