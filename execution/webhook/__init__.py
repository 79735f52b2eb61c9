"""Green API notifications: parse, authenticate, deduplicate, store, and schedule the turn.

`POST /webhook/greenapi` (serve.py) reads the body with `notification.parse_notification`,
checks the agent's token with `directory.AgentDirectory.authenticate`, and hands the
notification to `intake` (`BatchWriter.submit` or `accept_notification`); it answers 200 only
once intake returned: by then the notification, the message it carries and the turn it starts
are committed together. `handlers` holds what each notification type does to the database.
Every notification is stored, known type or not.

    notification.py  the body -> a `Notification` (identity, dedup key); the buyer's words
    directory.py     instance -> agent (cached) and the constant-time webhook token check
    handlers.py      one handler per notification type, inside the storing transaction
    intake.py        exactly-once: the Redis claim, the notification row, the batch writer
"""
