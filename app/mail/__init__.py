"""Outgoing mail, in one place: what each message says (messages, compose), the outbox
every use case records its messages in (outbox), the one claim/lease mechanism every
sender uses (lease), the SMTP connection (transport) and the worker that delivers
(worker). No web request talks to a mail server: a request records, a worker sends.
"""
