"""Transports: the only sync modules that touch files and sockets (DESIGN §1).

- ``folder``: a directory many devices write to (USB stick, Syncthing, a shared drive).
- ``tcp``: a direct session between two devices, framed and authenticated.

Both carry the same opaque sealed bundles (``sync/bundle.py``) and welcomes
(``sync/welcome.py``); neither can read them.
"""
