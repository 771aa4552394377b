"""An organizing vault for the workspace tests: consent, history, events, relationships.

Invented people only. Everything is stored through the same vault calls the CLI makes.
"""

from __future__ import annotations

from pathlib import Path

from tests.tui.app_helpers import FIXED_TIME, PASSPHRASE, PEOPLE
from vault.api import Vault
from vault.crypto.kdf import TEST_PARAMS
from vault.domain.events import make_event
from vault.domain.interactions import make_draft
from vault.domain.model import ContactDraft, Phone
from vault.domain.preferences import PreferenceChange

DAY = 86_400
REFUSER = ContactDraft(name="Dana Refuser", phones=(Phone("+33698765432"),), tags=("press",))
"""The person who asked not to be contacted."""


def make_organizing_vault(directory: Path, *, interactions: int = 23) -> dict[str, str]:
    """A cheap-KDF vault (region FR) with PEOPLE plus REFUSER and organizing data; locked.

    Ada: consent by email (not fundraising) and SMS for events, weekly limit, `interactions`
    logged interactions (the newest a call one day before FIXED_TIME), an event attended,
    a relationship to Bram, a target stance. Dana: do-not-contact. Returns name -> full id.
    """
    vault = Vault.create(directory, PASSPHRASE, params=TEST_PARAMS, allow_weak=True, region="FR")
    vault.records._now = lambda: FIXED_TIME
    made = {c.name: vault.contacts.add(c) for c in (*PEOPLE, REFUSER)}
    ids = {name: c.id for name, c in made.items()}
    ada, bram, dana = (bytes.fromhex(ids[n]) for n in ("Ada Brandt", "Bram Castell",
                                                      "Dana Refuser"))  # fmt: skip
    vault.preferences.change(ada, PreferenceChange(
        allow=("email", "sms:events"), deny=("email:fundraising",), max_frequency="weekly",
        consent_source="sign-up form", consent_by="Bram", consent_text="Keep me posted",
        consent_at=FIXED_TIME - 30 * DAY), now=FIXED_TIME)  # fmt: skip
    vault.preferences.change(dana, PreferenceChange(
        do_not_contact=True, consent_source="phone call", consent_by="Ada",
        consent_at=FIXED_TIME - 2 * DAY), now=FIXED_TIME)  # fmt: skip
    for n in range(interactions):
        at = FIXED_TIME - (interactions - n) * DAY
        kind = "donation" if n % 5 == 0 else "meeting"
        draft = make_draft(kind, at, summary=f"talk {n + 1}",
                           amount="25" if kind == "donation" else "",
                           currency="EUR" if kind == "donation" else "")  # fmt: skip
        vault.interactions.log(ada, draft)
    vault.interactions.log(ada, make_draft("call", FIXED_TIME - DAY // 2, direction="out",
                                           summary="asked about the assembly",
                                           outcome="will come"))  # fmt: skip
    event = vault.events.create(make_event("Spring assembly", FIXED_TIME - 40 * DAY,
                                           place="Town hall"))  # fmt: skip
    vault.events.checkin(bytes.fromhex(event.id), [ada])
    vault.relationships.relate(ada, "recruited-by", bram)
    vault.targets.set(ada, institution="City council", stance=2)
    vault.lock()
    return ids
