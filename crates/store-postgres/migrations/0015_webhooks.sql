-- Webhooks: a user's endpoint that is POSTed their events, signed with a per-webhook secret.
create table webhooks (
    id              text primary key,
    user_id         text not null references users (id) on delete cascade,
    url             text not null,
    -- Comma-separated event names, or `*`.
    events          text not null,
    description     text not null,
    -- The signing secret, sealed with the server's key (AES-GCM), as user-provided keys are.
    secret          text not null,
    active          boolean not null,
    -- Set when the server turned the webhook off (the receiver answered 410 Gone).
    disabled_reason text,
    created_at      bigint not null,
    updated_at      bigint not null
);

-- The owner's list, and the fan-out of each of their events.
create index webhooks_user on webhooks (user_id, created_at);

-- The durable queue: one row per event and webhook, written before anything is sent, so a
-- delivery survives restarts and is retried on its schedule until the receiver answers 2xx
-- or the schedule runs out.
create table webhook_deliveries (
    id              text primary key,
    webhook_id      text not null references webhooks (id) on delete cascade,
    user_id         text not null,
    event           text not null,
    -- The exact body, so every attempt sends (and signs) the same bytes.
    payload         text not null,
    -- pending, delivered or failed.
    status          text not null,
    attempts        bigint not null,
    next_attempt_at bigint not null,
    -- A worker holds a claimed delivery until then; an instance that dies mid-attempt lets
    -- the lease run out and another picks the delivery up.
    lease_until     bigint,
    last_attempt_at bigint,
    response_status bigint,
    last_error      text,
    created_at      bigint not null
);

-- What is due: the workers' claim query walks only pending rows, oldest due first.
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at)
    where status = 'pending';
-- A webhook's delivery log, newest first (keyset cursor).
create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, created_at, id);
