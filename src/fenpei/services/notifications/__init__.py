"""Notifications (通知): domain events from the outbox, turned into messages to each
recipient on each channel and delivered by the dispatcher, at least once, with a dedupe key.

    events.py     what each ownership change writes to the outbox, in its transaction
    ports.py      the outbox, inbox and sender ports the adapters implement
    dispatch.py   expand events into deliveries, claim due ones, send, retry, dead-letter
    inbox.py      the in-app inbox: list, unread count, mark read
    messages.py   the text of each message, in the recipient's language
    preferences.py  each user's email events and quiet hours, each role's default
    _email_prefs.py what expand reads of them per batch (the rules: domain/preferences.py)
    digest.py     the daily email digest, instead of one email per event (the job writes it)
"""
