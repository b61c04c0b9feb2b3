"""What a sender raises when a receiver did not take a message."""

from __future__ import annotations


class SendFailed(Exception):
    """A message was not accepted; the text names the receiver and the reason, never a
    password, secret or token. The dispatcher records it and tries again later."""
