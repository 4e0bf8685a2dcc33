"""The SMTP side of the outbox: settings, one connection per batch, and a mail transaction
split around the final dot of its DATA.

Why split: a server keeps a message only once it has read the line holding the single dot
that ends DATA, and discards it when the connection drops before (RFC 5321 §4.1.1.4). So
everything up to that dot can be cut short and redone without a duplicate; the outbox
records "about to finish" (``before_final_dot``) just before writing those 3 bytes, and a
message left in that state by a crash is the only one whose fate is unknown.
"""

from __future__ import annotations

import copy
import email.generator
import email.policy
import email.utils
import io
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server, and how hard to try. ``host=None``: no delivery at all."""

    host: str | None
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 20
    sender: str = "barometre@localhost"
    #: Attempts before a message is given up (``failed``).
    max_attempts: int = 8
    #: Wait after the first failed attempt; doubled after each next one, up to ``retry_max``.
    retry: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        return cls(
            host=config.get("SMTP_HOST"),
            port=config.get("SMTP_PORT", 587),
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            starttls=config.get("SMTP_STARTTLS", True),
            timeout=config.get("SMTP_TIMEOUT_SECONDS", 20),
            sender=config.get("MAIL_FROM", "barometre@localhost"),
            max_attempts=config.get("OUTBOX_MAX_ATTEMPTS", 8),
            retry=timedelta(seconds=config.get("OUTBOX_RETRY_SECONDS", 60)),
            retry_max=timedelta(seconds=config.get("OUTBOX_RETRY_MAX_SECONDS", 3600)),
        )

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before the attempt after ``attempts`` ones: 1, 2, 4, 8… × ``retry``, capped."""
        return min(self.retry * (2 ** max(attempts - 1, 0)), self.retry_max)

    @property
    def longest_transaction(self) -> timedelta:
        """Longer than any live delivery of one message can take (each SMTP step is bounded
        by ``timeout``): a claim older than this belongs to a process that died."""
        return timedelta(seconds=self.timeout * 2)


class StartTlsUnavailable(smtplib.SMTPException):
    """STARTTLS is required by the settings but the server does not offer it."""


class DeliveryInDoubt(smtplib.SMTPException):
    """The final dot was written but no reply came back: the server may have kept it."""


def describe_error(error: BaseException) -> str:
    """A line a coordinator can read: what went wrong in French, then the exception's class
    and text."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        details = "; ".join(
            f"{address} : {code} {_text(reply)}"
            for address, (code, reply) in error.recipients.items()
        )
        return f"Destinataire refusé par le serveur SMTP ({name}) : {details}"
    if isinstance(error, smtplib.SMTPResponseException):
        return (
            f"Message refusé par le serveur SMTP ({name}) : {error.smtp_code} "
            f"{_text(error.smtp_error)}"
        )
    if isinstance(error, StartTlsUnavailable | ssl.SSLError):
        return f"Connexion chiffrée impossible ({name}) : {error}"
    if isinstance(error, DeliveryInDoubt):
        return f"Envoi incertain ({name}) : {error}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"Connexion au serveur SMTP interrompue ({name}) : {error}"
    if isinstance(error, smtplib.SMTPException):
        return f"Échec de l’envoi SMTP ({name}) : {error}"
    if isinstance(error, OSError):
        return f"Serveur SMTP injoignable ({name}) : {error}"
    return f"Échec de l’envoi ({name}) : {error}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


#: ``smtplib._quote_periods``: a line starting with a dot gets a second one (RFC 5321
#: §4.5.2), so no line of the message can be read as the end of DATA.
_LEADING_DOT = re.compile(rb"(?m)^\.")
CRLF = b"\r\n"


def _flatten(connection: smtplib.SMTP, message: EmailMessage) -> tuple[bytes, list[str]]:
    """The bytes ``smtplib.SMTP.send_message`` would send, and its ESMTP options for SMTPUTF8
    (same Bcc removal, same generator, same CRLF line ends)."""
    copied = copy.copy(message)
    del copied["Bcc"]
    del copied["Resent-Bcc"]
    options: list[str] = []
    addresses = "".join([_sender(message), *_recipients(message)])
    with io.BytesIO() as buffer:
        if addresses.isascii():
            generator = email.generator.BytesGenerator(buffer)
        else:
            if not connection.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError(
                    "adresse non ASCII mais le serveur ne propose pas SMTPUTF8"
                )
            # ``message.policy.clone(utf8=True)`` in smtplib; ours is ``email.policy.default``.
            generator = email.generator.BytesGenerator(buffer, policy=email.policy.SMTPUTF8)
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        generator.flatten(copied, linesep="\r\n")
        return buffer.getvalue(), options


def _sender(message: EmailMessage) -> str:
    return email.utils.getaddresses([str(message["From"])])[0][1]


def _recipients(message: EmailMessage) -> list[str]:
    fields = [str(message[name]) for name in ("To", "Cc", "Bcc") if message[name] is not None]
    return [address for _name, address in email.utils.getaddresses(fields)]


class Mailer:
    """One SMTP connection for a batch, opened on first use and reopened after an error."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None
        #: Connecting, STARTTLS or login failed: no point trying the rest of the batch.
        self.unreachable = False

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._close()

    def _open(self) -> smtplib.SMTP:
        settings = self.settings
        assert settings.host is not None
        connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            connection.ehlo()
            if settings.starttls:
                if not connection.has_extn("starttls"):
                    raise StartTlsUnavailable(
                        f"le serveur {settings.host}:{settings.port} ne propose pas STARTTLS "
                        "alors que SMTP_STARTTLS est activé (désactivez-le seulement pour un "
                        "serveur local de confiance)."
                    )
                connection.starttls()
                connection.ehlo()
            if settings.user:
                connection.login(settings.user, settings.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, message: EmailMessage, *, before_final_dot: Callable[[], None]) -> None:
        """Send ``message``; ``before_final_dot`` runs once everything but the final dot is
        written (an exception from it aborts the transaction: the server keeps nothing).

        Raises what ``smtplib.SMTP.sendmail`` raises, except that a lost reply after the
        final dot is ``DeliveryInDoubt``.
        """
        if self.connection is None:
            try:
                self.connection = self._open()
            except BaseException:
                self.unreachable = True
                raise
        try:
            self._transaction(self.connection, message, before_final_dot)
        except BaseException:
            # Its state is unknown after an error, and a QUIT sent in the middle of DATA
            # would be read as message text: drop the connection, start afresh.
            self._drop()
            raise

    @staticmethod
    def _transaction(
        connection: smtplib.SMTP, message: EmailMessage, before_final_dot: Callable[[], None]
    ) -> None:
        """``sendmail`` and ``data`` of the standard library, step by step."""
        payload, options = _flatten(connection, message)
        if connection.does_esmtp and connection.has_extn("size"):
            options.append(f"size={len(payload)}")
        sender = _sender(message)
        code, reply = connection.mail(sender, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        recipients = _recipients(message)
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in recipients:
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        if len(refused) == len(recipients):
            raise smtplib.SMTPRecipientsRefused(refused)  # type: ignore[arg-type]
        connection.putcmd("data")
        code, reply = connection.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        quoted = _LEADING_DOT.sub(b"..", payload)
        if quoted[-2:] != CRLF:
            quoted += CRLF
        connection.send(quoted)
        before_final_dot()
        try:
            # A write that fails may still have carried part of the dot: in doubt as well.
            connection.send(b"." + CRLF)
            code, reply = connection.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise DeliveryInDoubt(
                f"le point final est parti mais la réponse du serveur manque ({error})"
            ) from error
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)

    def _drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _close(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()
        self.connection = None
