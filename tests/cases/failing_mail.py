from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """Stands in for an outside mail server that refuses connections."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server at smtp.example.org refused")
