"""Heavy work (reports, charts, ignition) away from the event loop and outside the write transaction.

A handler validates its input and calls `ctx.hand_off(work, **params)`: the request is recorded in
the transaction of the message that asked, which commits at once. The work then runs in a worker
(a process of its own, or a thread) on a read connection of its own, within a time bound, and a
new unit of work writes its reply through the outbox. A request the bot was working on when it
stopped is resumed at the next start (or answered with an apology). Scheduled jobs declare a
`prepare` step that runs the same way before the short transaction that records the run.
"""
