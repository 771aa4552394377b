"""Send a message, with a progress bar, a Stop key, and Resume.

    s       send; after a stop (or an interrupted send, even from the CLI), resume
    x       stop after the message in flight (the rest stays queued)
    r       the report
    Escape  back (a send in progress is stopped first, then the screen closes)

Rules and reasons:
- The work is `outreach.sender.Sender.run`, the loop `kith outreach send` runs, in a worker
  thread: the audience is frozen at the first send, each recipient's state is committed
  before and after its transport call, and a later run resumes with exactly those still
  queued. Stop is `run(stop=...)`: asked before each recipient and after the rate-limit wait
  (which Stop cuts short), so stopping never leaves a message half-sent and Resume never
  sends anyone a second copy. Consent is checked again at each recipient's turn.
- An email interrupted mid-transaction by a crash or a kill is `uncertain` and is not resent
  (at-most-once, see outreach/sender.py); the screen counts them; `kith outreach send
  --retry-uncertain` resends them deliberately.
- No transport configured, nobody to send to, a server that cannot be reached: one line, the
  outreach package's words; nothing is sent.
- One send at a time in the process (`SENDING`): a second send screen (the palette opens the
  outbox anywhere) says so instead of racing the first for the same queued recipients.
- Locking while sending cancels the worker (the Stop rule applies); a message whose transport
  call was under way when the vault closed stays `sending` and becomes `uncertain`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message as UiMessage
from textual.widgets import Footer, Header, ProgressBar, Static
from textual.worker import get_current_worker

from outreach.config import OutreachConfig
from outreach.email_out import SmtpTransport
from outreach.outbox import Message, Outbox
from outreach.sender import Sender, SendOutcome, Transport
from outreach.sms_gateway import SmsGateway
from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.screens.outreach_preview import describe
from vault.api import Vault
from vault.errors import KithError, NotFound

__all__ = ["SendScreen", "transport_for"]

SENDING = threading.Lock()
"""Held while a send runs in this process: the palette can open a second outbox over a send
screen, and two runs of one message at once would both take its queued recipients."""
BUSY = "Another send is running: stop it first (x on its screen). Nothing was sent."


def transport_for(vault: Vault, channel: str) -> tuple[Transport, int, str]:
    """The configured transport of `channel`, its rate and unsubscribe address (as the CLI);
    `NotFound` with the command to configure it."""
    store = OutreachConfig.of(vault)
    if channel == "email":
        email = store.email()
        return SmtpTransport(email), email.rate, email.unsubscribe
    sms = store.sms()
    return SmsGateway(sms), sms.rate, ""


def states_of(vault: Vault, message_id: str) -> tuple[bool, Counter[str]]:
    """Whether the message is frozen, and its deliveries per state."""
    outbox = Outbox.of(vault)
    raw = bytes.fromhex(message_id)
    frozen = outbox.get(raw).frozen
    return frozen, Counter(d.state for d in outbox.deliveries(raw))


def standing(frozen: bool, states: Counter[str]) -> str:
    """Where the send stands, and what `s` does next."""
    if not frozen:
        return ("Not sent yet. s: send to everyone the preview lists (the list is frozen "
                "then; p on the outbox previews it).")  # fmt: skip
    total = sum(states.values())
    left = states["queued"] + states["sending"]
    line = f"Sent {states['sent']:,} of {total:,}"
    extra = [f"{states[s]:,} {s}" for s in ("failed", "uncertain", "skipped") if states[s]]
    line += (" (" + ", ".join(extra) + ")") if extra else ""
    if left:
        return f"{line}; {left:,} left. s: resume."
    if states["uncertain"]:
        return (f"{line}. Done; uncertain ones were interrupted mid-send and are not resent "
                "(`kith outreach send --retry-uncertain` resends them).")  # fmt: skip
    return f"{line}. Done."


class SendScreen(KithScreen[None]):
    """Progress of one message's send; s sends or resumes, x stops."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("s", "send", "Send / resume"),
        Binding("x", "stop", "Stop"),
        Binding("r", "report", "Report"),
    ]

    DEFAULT_CSS = """
    SendScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    SendScreen #standing { padding: 1 2 0 2; height: auto; }
    SendScreen #progress { margin: 1 2; }
    SendScreen #result { padding: 0 2; height: auto; min-height: 1; }
    """

    class Moved(UiMessage):
        """Progress from the worker: recipients done of this run's."""

        def __init__(self, done: int, total: int) -> None:
            self.done, self.total = done, total
            super().__init__()

    class Standing(UiMessage):
        """The delivery states read by the worker (or why they could not be)."""

        def __init__(self, frozen: bool, states: Counter[str], error: str = "") -> None:
            self.frozen, self.states, self.error = frozen, states, error
            super().__init__()

    class Finished(UiMessage):
        """The run ended: its outcome, or the one-line error that ended it."""

        def __init__(self, outcome: SendOutcome | None, error: str = "") -> None:
            self.outcome, self.error = outcome, error
            super().__init__()

    def __init__(self, vault: Vault, message: Message) -> None:
        super().__init__()
        self.vault = vault
        self.message = message
        self.stop_event = threading.Event()
        self.running = False
        self.closing = False
        self.runs = 0
        """Send runs finished on this screen (tests wait on it)."""
        self.states: Counter[str] = Counter()
        self.frozen = message.frozen
        self.known = False
        """True once the delivery states were read (s waits for them)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(safe(f"Send: {describe(self.message)}", max_len=200)), id="heading")
        yield Static(Text("Reading the outbox..."), id="standing")
        yield ProgressBar(total=1, show_eta=False, id="progress")
        yield Static(Text(""), id="result")
        yield Footer()

    def on_mount(self) -> None:
        """Show where the send stands."""
        self.refresh_standing()

    def refresh_standing(self) -> None:
        """Read the delivery states again, in a worker thread (decrypting deliveries)."""
        self._read_states()

    @work(thread=True, exclusive=True, group="standing")
    def _read_states(self) -> None:
        try:
            frozen, states = states_of(self.vault, self.message.id)
        except KithError as error:
            self.post_message(self.Standing(False, Counter(), error.message))
            return
        except Exception:
            if get_current_worker().is_cancelled:  # locked meanwhile
                return
            raise
        self.post_message(self.Standing(frozen, states))

    def on_send_screen_standing(self, message: Standing) -> None:
        """Show where the send stands."""
        if message.error:
            self.say(message.error, error=True)
            return
        self.frozen, self.states, self.known = message.frozen, message.states, True
        self.query_one("#standing", Static).update(Text(standing(self.frozen, self.states)))
        total = sum(self.states.values())
        done = total - self.states["queued"] - self.states["sending"]
        self.query_one("#progress", ProgressBar).update(total=max(total, 1), progress=done)

    def say(self, message: str, *, error: bool = False) -> None:
        """The result line."""
        line = self.query_one("#result", Static)
        line.update(Text(safe(message)))
        line.set_class(error, "error")

    def action_send(self) -> None:
        """Send, or resume what is left."""
        if self.running or not self.known:
            return
        if self.frozen and not (self.states["queued"] or self.states["sending"]):
            self.say("Nothing left to send.")
            return
        try:
            transport, rate, unsubscribe = transport_for(self.vault, self.message.channel)
        except NotFound:
            what = "SMTP server" if self.message.channel == "email" else "SMS gateway"
            self.say(f"No {what} configured: run `kith outreach config {self.message.channel}` "
                     "first. Nothing was sent.", error=True)  # fmt: skip
            return
        except KithError as error:
            self.say(error.message, error=True)
            return
        self.running = True
        self.stop_event.clear()
        self.say("Sending... x stops after the message in flight.")
        self._run(transport, rate, unsubscribe)

    @work(thread=True, exclusive=True, group="send")
    def _run(self, transport: Transport, rate: int, unsubscribe: str) -> None:
        worker = get_current_worker()

        def stopping() -> bool:
            return self.stop_event.is_set() or worker.is_cancelled

        def progress(done: int, total: int) -> None:
            self.post_message(self.Moved(done, total))

        def pause(seconds: float) -> None:  # the rate limit's wait; Stop cuts it short
            self.stop_event.wait(seconds)

        if not SENDING.acquire(blocking=False):
            self.post_message(self.Finished(None, BUSY))
            return
        try:
            sender = Sender(self.vault, bytes.fromhex(self.message.id), transport,
                            per_minute=rate, unsubscribe=unsubscribe,
                            sleep=pause)  # fmt: skip
            outcome = sender.run(progress=progress, stop=stopping)
        except KithError as error:
            self.post_message(self.Finished(None, error.message))
            return
        except Exception:
            if stopping():  # locked meanwhile: the vault closed under the loop
                return
            raise
        finally:
            SENDING.release()
        self.post_message(self.Finished(outcome))

    def on_send_screen_moved(self, message: Moved) -> None:
        """Move the bar (this run's recipients)."""
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        self.query_one("#standing", Static).update(
            Text(f"Sending: {message.done:,} of {message.total:,} this run..."))

    def on_send_screen_finished(self, message: Finished) -> None:
        """Say what the run did; close if Escape asked for it."""
        self.running = False
        self.runs += 1
        outcome = message.outcome
        if outcome is None:
            self.say(message.error, error=True)
        else:
            counts = (f"sent {outcome.sent:,}, failed {outcome.failed:,}, skipped "
                      f"{outcome.skipped:,}, uncertain {outcome.uncertain:,}, deferred "
                      f"{outcome.deferred:,}")  # fmt: skip
            head = "Stopped" if outcome.stopped else "Finished"
            notes = "".join(f" ({note})" for note in outcome.notes)
            tried = outcome.sent + outcome.failed + outcome.skipped + outcome.uncertain
            if not (tried or outcome.deferred or outcome.stopped or self.states["queued"]):
                self.say("Nobody may receive it: nothing was sent (the preview says why).",
                         error=True)  # fmt: skip
            else:
                self.say(f"{head}: {counts} this run.{notes}")
        if self.closing:
            self.dismiss(None)
            return
        self.refresh_standing()

    def action_stop(self) -> None:
        """Stop after the message in flight."""
        if self.running:
            self.stop_event.set()
            self.say("Stopping after the message in flight...")

    def action_report(self) -> None:
        """The report of this message."""
        from tui.screens.outreach_report import ReportScreen

        self.app.push_screen(ReportScreen(self.vault, self.message))

    def action_back(self) -> None:
        """Back; a send in progress is stopped first (the screen closes when it has)."""
        if self.running:
            self.closing = True
            self.action_stop()
            return
        self.dismiss(None)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Palette entries."""
        return [
            ("Send / resume", "Send this message, or resume what is left (s)", self.action_send),
            ("Stop sending", "Stop after the message in flight (x)", self.action_stop),
            ("Message report", "Sent, failed, skipped (r)", self.action_report),
        ]
