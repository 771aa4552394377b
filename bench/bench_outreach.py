"""Outreach benchmark (issue 8): preparing N personalized messages.

    .venv/bin/python -m bench.bench_outreach [--contacts 10000]

"Preparing" is everything ``kith outreach send`` does before the network: resolve the audience
(a segment of N contacts, every one with preferences allowing email), check consent and
frequency, open the contacts, render subject, text and HTML per recipient, and build each MIME
message with its own Message-ID and List-Unsubscribe header. Target: under 5 s for 10,000.

Baseline, measured side by side in the same run: opening every contact once
(``vault.domain.contacts.all()``), the least any per-person preparation must pay.
"""

from __future__ import annotations

import argparse
import time

from bench.common import synthetic_contacts, table, temp_vault, timed
from outreach.audience import Resolution, resolve
from outreach.compose import Draft, Rendered, Renderer, compose
from outreach.config import email_settings
from outreach.email_out import build_email, new_message_id
from vault.domain.preferences import PreferenceChange, Preferences, apply

BODY = ("Dear {given_name|friend},\n\nThe {city} group meets on {event_date|Tuesday}. "
        "Bring a neighbour from {field:Ward|your street}.\n\nIn solidarity,\nThe team\n")
HTML = "<p>Dear {given_name|friend},</p><p>The {city} group meets soon.</p>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=10_000)
    args = parser.parse_args()
    n = args.contacts
    now = int(time.time())
    with temp_vault() as vault:
        made: list[bytes] = []
        drafts = synthetic_contacts(n)
        for i in range(0, n, 5000):
            made += vault.contacts.add_many(drafts[i: i + 5000])
        allow = PreferenceChange(allow=("email",))
        vault.preferences.add_many([(c, apply(Preferences(c.hex()), allow, now)) for c in made])
        segment = vault.segments.create("Everyone")
        vault.segments.add(segment, made)
        message = compose(vault, Draft("email", "news", "segment:Everyone", BODY,
                                       "News for {given_name}", HTML))
        settings = email_settings("smtp.example.org", 587, "team@org.example",
                                  unsubscribe="https://org.example/u")
        vault.drop_indexes()

        baseline = timed(lambda: sum(1 for _ in vault.contacts.all()))
        vault.drop_indexes()
        found: list[Resolution] = []
        cold = timed(lambda: found.append(resolve(vault, message.audience, "email", "news", now)))
        warm = timed(lambda: resolve(vault, message.audience, "email", "news", now))
        recipients = found[0].recipients
        assert len(recipients) == n, len(recipients)
        renderer = Renderer(vault, message, settings.unsubscribe)
        rendered: list[Rendered] = []
        render = timed(lambda: rendered.extend(renderer.render(r.contact, r.address)
                                               for r in recipients))
        mime = timed(lambda: [build_email(settings, item, r.address,
                                          new_message_id(settings.sender))
                              for item, r in zip(rendered, recipients, strict=True)])
        total = cold + render + mime
        print(table([
            ("contacts (all allowed, one segment)", f"{n:,}"),
            ("baseline: open every contact once", f"{baseline:.2f} s"),
            ("resolve audience, cold (builds activity index)", f"{cold:.2f} s"),
            ("resolve audience, warm", f"{warm:.2f} s"),
            ("render subject + text + HTML", f"{render:.2f} s"),
            ("build MIME messages (as bytes)", f"{mime:.2f} s"),
            ("total preparation (cold + render + MIME)", f"{total:.2f} s (target < 5 s)"),
            ("ratio total / baseline", f"{total / baseline:.2f}x"),
        ]))


if __name__ == "__main__":
    main()
