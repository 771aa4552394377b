"""Contact commands: add, show, list, search, edit, delete (CLI contract of issue 2)."""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from tui.after_write import after_write
from tui.contact_input import from_option, given_on_command_line, read_contact
from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, ConfirmationRequired
from tui.output import contact_lines, emit_json, short_id, table
from tui.safe_text import safe
from vault import Vault
from vault.domain.filters import parse as parse_filter
from vault.domain.model import Contact, ContactDraft, Email, Phone
from vault.domain.search import Entry, SearchIndex, fold
from vault.domain.validate import (
    check_region,
    normalize_email,
    normalize_phone,
    parse_address,
    parse_field_assignment,
    split_label,
)
from vault.errors import NotFound

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _region(vault: Vault, region: str | None) -> str:
    return check_region(region) if region else vault.region


def _emails(values: tuple[str, ...]) -> tuple[Email, ...]:
    return tuple(Email(*split_label(v)) for v in values)


def _phones(values: tuple[str, ...]) -> tuple[Phone, ...]:
    return tuple(Phone(*split_label(v)) for v in values)


_ADD_FIELDS = ("name", "given_name", "family_name", "emails", "phones", "addresses", "org",
               "role", "languages", "note", "tags", "custom")  # fmt: skip
_EDIT_FIELDS = ("name", "given_name", "family_name", "add_email", "remove_email", "add_phone",
                "remove_phone", "add_address", "org", "role", "note", "add_tag", "remove_tag",
                "custom")  # fmt: skip


def _only_from(fields: tuple[str, ...]) -> None:
    """Refuse field options next to ``--from``: the file holds the contact (issue 12)."""
    typed = given_on_command_line(click.get_current_context(), fields)
    if typed:
        option = "--" + typed[0].replace("_", "-")
        raise click.UsageError(f"--from and {option} cannot be combined: put it in the file")


@click.command()
@click.option("--name", default=None, help="Display name (required unless --from).")
@click.option("--given-name", default="", help="Given (first) name.")
@click.option("--family-name", default="", help="Family (last) name.")
@click.option("--email", "emails", multiple=True, help="Email; 'work:' etc. sets a label.")
@click.option("--phone", "phones", multiple=True, help="Phone; national numbers use --region.")
@click.option(
    "--address", "addresses", multiple=True, help="'street; city; region; postcode; country'."
)
@click.option("--org", default="", help="Organization.")
@click.option("--role", default="", help="Role or job title.")
@click.option("--language", "languages", multiple=True, help="A language spoken.")
@click.option("--note", default="", help="Free-text notes.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--field", "custom", multiple=True, help="Custom field KEY=VALUE (repeatable).")
@click.option("--region", default=None, help="Region for national phone numbers (e.g. FR).")
@from_option
@json_option
@pass_kith
def add(
    kith: KithContext,
    name: str | None,
    given_name: str,
    family_name: str,
    emails: tuple[str, ...],
    phones: tuple[str, ...],
    addresses: tuple[str, ...],
    org: str,
    role: str,
    languages: tuple[str, ...],
    note: str,
    tags: tuple[str, ...],
    custom: tuple[str, ...],
    region: str | None,
    from_file: str | None,
    as_json: bool,
) -> None:
    """Add a contact and print its id.

    The safe way for sensitive data is --from FILE (or '-' for stdin) with a JSON object as
    `kith show --json` prints it: options like --name and --note are visible to every user of
    the machine while the command runs, and stay in the shell history.
    """
    if from_file is not None:
        _only_from(_ADD_FIELDS)
        draft, _ = read_contact(from_file, kith.passphrases)
    elif name is None:
        raise click.UsageError("Missing option '--name' (or give the contact with --from FILE).")
    else:
        draft = _draft_from_options(
            name, given_name, family_name, emails, phones, addresses, org, role, languages, note,
            tags, custom,
        )  # fmt: skip
    vault = kith.unlock()
    contact = vault.contacts.add(vault.normalize_contact(draft, _region(vault, region)))
    if as_json:
        emit_json(contact.to_json())
    else:
        click.echo(short_id(contact.id))


def _draft_from_options(
    name: str,
    given_name: str,
    family_name: str,
    emails: tuple[str, ...],
    phones: tuple[str, ...],
    addresses: tuple[str, ...],
    org: str,
    role: str,
    languages: tuple[str, ...],
    note: str,
    tags: tuple[str, ...],
    custom: tuple[str, ...],
) -> ContactDraft:
    return ContactDraft(
        name=name,
        given_name=given_name,
        family_name=family_name,
        emails=_emails(emails),
        phones=_phones(phones),
        addresses=tuple(parse_address(a) for a in addresses),
        org=org,
        role=role,
        languages=languages,
        notes=note,
        tags=tags,
        fields=tuple(parse_field_assignment(f) for f in custom),
    )


@click.command()
@click.argument("contact_id")
@json_option
@pass_kith
def show(kith: KithContext, contact_id: str, as_json: bool) -> None:
    """Show one contact (any unique id prefix)."""
    contact = kith.unlock().contacts.get(contact_id)
    if as_json:
        emit_json(contact.to_json())
    else:
        click.echo("\n".join(contact_lines(contact)))


def _print_entries(vault: Vault, entries: list[Entry], as_json: bool) -> None:
    if as_json:
        repo = vault.contacts
        emit_json([repo.get_by_id(bytes.fromhex(e.id)).to_json() for e in entries])
        return
    rows = [(short_id(e.id), e.name, e.org, e.locality, ", ".join(e.tags)) for e in entries]
    click.echo("\n".join(table(rows, ("ID", "NAME", "ORGANIZATION", "CITY", "TAGS"))))
    click.echo(f"{len(entries)} contact(s)", err=True)


def _index(vault: Vault) -> SearchIndex:
    total = vault.contacts.count()
    if total < 5000 or not sys.stderr.isatty():
        return vault.search_index()
    with click.progressbar(length=total, label="Decrypting", file=sys.stderr) as bar:
        state = {"done": 0}

        def step(done: int, _total: int) -> None:
            bar.update(done - state["done"])
            state["done"] = done

        return vault.search_index(progress=step)


def print_matching(
    vault: Vault, matching: list[str], tag: str | None, sort: str, as_json: bool
) -> None:
    """Print the contacts whose full ids are in ``matching``, as ``list`` prints (issue 6)."""
    wanted = set(matching)
    rows = [e for e in _index(vault).entries(tag=tag, sort=sort) if e.id in wanted]
    _print_entries(vault, rows, as_json)


@click.command(name="list")
@click.option("--tag", default=None, help="Only contacts with this tag.")
@click.option("--sort", type=click.Choice(["name", "updated"]), default="name", show_default=True)
@click.option(
    "--saved", "saved", default=None, metavar="NAME", help="Only a saved search's matches."
)
@json_option
@pass_kith
def list_contacts(
    kith: KithContext, tag: str | None, sort: str, saved: str | None, as_json: bool
) -> None:
    """List contacts, sorted by name."""
    vault = kith.unlock()
    if saved is not None:
        print_matching(vault, vault.saved_searches.run(saved), tag, sort, as_json)
        return
    _print_entries(vault, _index(vault).entries(tag=tag, sort=sort), as_json)


@click.command()
@click.argument("query")
@click.option("--tag", default=None, help="Only contacts with this tag.")
@click.option(
    "--save", "save_as", default=None, metavar="NAME",
    help="Also save QUERY under NAME (run it again with: kith list --saved NAME).",
)
@json_option
@pass_kith
def search(
    kith: KithContext, query: str, tag: str | None, save_as: str | None, as_json: bool
) -> None:
    """Search names, emails, phones, organizations, cities and tags.

    QUERY may also hold filters, all of which must match, for example
    'city:Lyon tag:volunteers -contacted:since:2026-06-01 attended:90d signed:"Save the park"'.
    Keys: text city tag segment lang org field has contacted attended donated logged signed
    campaign event signup allows; '-' negates (a QUERY that starts with '-' goes after '--':
    kith search -- '-contacted:30d'). See docs/organizing-guide.md.
    """
    vault = kith.unlock()
    parsed = parse_filter(query)
    if save_as is not None:
        saved = vault.saved_searches.save(save_as, query)
        click.echo(f"saved search {safe(saved.name)!r}", err=True)
    if parsed.is_plain_text:
        _print_entries(vault, _index(vault).search(query, tag=tag), as_json)
        return
    print_matching(vault, vault.saved_searches.evaluate(parsed), tag, "name", as_json)


def _without(values: tuple[str, ...], remove: tuple[str, ...], what: str) -> tuple[str, ...]:
    kept = list(values)
    for item in remove:
        matches = [v for v in kept if fold(v) == fold(item)]
        if not matches:
            raise NotFound(f"(the contact has no such {what})")
        kept = [v for v in kept if v not in matches]
    return tuple(kept)


@click.command()
@click.argument("contact_id")
@click.option("--name", default=None)
@click.option("--given-name", default=None)
@click.option("--family-name", default=None)
@click.option("--add-email", multiple=True)
@click.option("--remove-email", multiple=True)
@click.option("--add-phone", multiple=True)
@click.option("--remove-phone", multiple=True)
@click.option("--add-address", multiple=True, help="'street; city; region; postcode; country'.")
@click.option("--org", default=None)
@click.option("--role", default=None)
@click.option("--note", default=None, help="Replace the notes.")
@click.option("--add-tag", multiple=True)
@click.option("--remove-tag", multiple=True)
@click.option("--field", "custom", multiple=True, help="KEY=VALUE; an empty VALUE removes KEY.")
@click.option("--region", default=None, help="Region for national phone numbers.")
@from_option
@json_option
@pass_kith
def edit(
    kith: KithContext,
    contact_id: str,
    name: str | None,
    given_name: str | None,
    family_name: str | None,
    add_email: tuple[str, ...],
    remove_email: tuple[str, ...],
    add_phone: tuple[str, ...],
    remove_phone: tuple[str, ...],
    add_address: tuple[str, ...],
    org: str | None,
    role: str | None,
    note: str | None,
    add_tag: tuple[str, ...],
    remove_tag: tuple[str, ...],
    custom: tuple[str, ...],
    region: str | None,
    from_file: str | None,
    as_json: bool,
) -> None:
    """Change a contact; only what you name changes.

    With --from FILE ('-' = stdin), the JSON object's keys replace those parts of the contact
    and the keys it leaves out stay as they are (the safe way for sensitive data).
    """
    given: tuple[ContactDraft, frozenset[str]] | None = None
    if from_file is not None:
        _only_from(_EDIT_FIELDS)
        given = read_contact(from_file, kith.passphrases)
    vault = kith.unlock()
    repo = vault.contacts
    record_id = repo.resolve(contact_id)
    current = repo.get_by_id(record_id)
    draft = current.draft()
    where = _region(vault, region)
    if given is not None:
        parsed, keys = given
        changed_from = replace(draft, **{key: getattr(parsed, key) for key in keys})
        _save_edit(
            vault, record_id, vault.normalize_contact(changed_from, where, base=draft), draft,
            as_json,
        )
        return
    removed_emails = {
        normalize_email(e, position=i).value.casefold() for i, e in enumerate(remove_email, 1)
    }
    if removed_emails - {e.value.casefold() for e in draft.emails}:
        raise NotFound("(the contact has no such email)")
    removed_phones = {
        normalize_phone(p, where, strict=True, position=i).value
        for i, p in enumerate(remove_phone, 1)
    }
    if removed_phones - {p.value for p in draft.phones}:
        raise NotFound("(the contact has no such phone)")
    fields = dict(draft.fields)
    for key, value in (parse_field_assignment(f) for f in custom):
        if value:
            fields[key] = value
        else:
            fields.pop(key, None)
    changed = replace(
        draft,
        name=draft.name if name is None else name,
        given_name=draft.given_name if given_name is None else given_name,
        family_name=draft.family_name if family_name is None else family_name,
        emails=tuple(e for e in draft.emails if e.value.casefold() not in removed_emails)
        + _emails(add_email),
        phones=tuple(p for p in draft.phones if p.value not in removed_phones) + _phones(add_phone),
        addresses=draft.addresses + tuple(parse_address(a) for a in add_address),
        org=draft.org if org is None else org,
        role=draft.role if role is None else role,
        notes=draft.notes if note is None else note,
        tags=_without(draft.tags, remove_tag, "tag") + add_tag,
        fields=tuple(fields.items()),
    )
    # base: only what this command changes is written; a concurrent edit of anything else
    # survives, and one of the same attribute is refused (issue 14, item 1)
    _save_edit(
        vault, record_id, vault.normalize_contact(changed, where, base=draft), draft, as_json
    )


def _save_edit(
    vault: Vault, record_id: bytes, draft: ContactDraft, base: ContactDraft, as_json: bool
) -> None:
    contact = vault.contacts.update(record_id, draft, base=base)
    after_write(vault)  # issue 7: shared records become signed ops
    if as_json:
        emit_json(contact.to_json())
    else:
        click.echo(short_id(contact.id))


@click.command()
@click.argument("contact_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_kith
def delete(kith: KithContext, contact_id: str, yes: bool) -> None:
    """Delete a contact for good (its key is destroyed: this cannot be undone)."""
    vault = kith.unlock()
    repo = vault.contacts
    record_id = repo.resolve(contact_id)
    contact: Contact = repo.get_by_id(record_id)
    if not yes:
        if not sys.stdin.isatty():
            raise ConfirmationRequired
        prompt = f"Delete {safe(contact.display_name())!r} for good? Its key is destroyed"
        if not click.confirm(prompt, err=True):
            raise Cancelled
    repo.delete([record_id])
    after_write(vault)  # issue 7
    click.echo(f"deleted {short_id(contact.id)}", err=True)
