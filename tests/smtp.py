"""A real SMTP server in the test process (aiosmtpd), to send mail to over the network
as production does. It can refuse (a transient 451, as a server under trouble does)
and then accept; it keeps what it accepted."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


class Mailbox:
    """The SMTP handler: refuses while ``refusing``, else keeps each message."""

    def __init__(self) -> None:
        self.refusing = False
        self.refused = 0
        self.received: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 Temporary failure, try again later"
        self.received.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@contextmanager
def smtp_server(settings) -> Iterator[Mailbox]:
    """Start the server on a free local port and point Django's SMTP backend at it."""
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield mailbox
    finally:
        controller.stop()
