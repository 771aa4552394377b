"""The relay: an always-on HTTP server that stores and forwards only sealed data.

    kith relay serve --data DIR [--database postgresql://...] [--host H --port N]

The relay holds mailboxes of opaque items (sealed sync bundles, welcomes, sealed sign-ups)
and intake forms (public definitions). It never holds a key that opens anything it stores:
mailbox ids and write tokens are derived by clients from keys the relay never sees
(``sync/relay_ids.py``), and sign-ups are encrypted in the browser (``relay/static/form.js``).
The only key material it touches is an intake form's *public* key, to seal an SMS the moment
it arrives (``vault.crypto.intake_seal.seal``). See docs/relay.md for what an operator learns.

Layering: ``relay`` imports neither ``sync``, ``outreach`` nor ``tui``, and from ``vault`` only
``vault.crypto.intake_seal`` (public-key sealing); ``tui`` imports ``relay`` to run it.
"""
