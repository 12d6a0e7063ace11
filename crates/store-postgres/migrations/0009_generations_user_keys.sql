-- One row per generated answer: what it cost and how fast it came. Analytics and balances read
-- it; it is written in the same transaction as the answer, so the two never disagree.
create table generations (
    message_id        text primary key references messages (id) on delete cascade,
    conversation_id   text not null references conversations (id) on delete cascade,
    user_id           text not null references users (id) on delete cascade,
    endpoint          text not null,
    model             text not null,
    -- completed | aborted | error
    outcome           text not null,
    error_code        text,
    finish_reason     text,
    prompt_tokens     bigint not null,
    completion_tokens bigint not null,
    -- Whether the counts came from the upstream (else they are estimates).
    usage_reported    boolean not null,
    ttft_ms           bigint,
    duration_ms       bigint not null,
    -- Credits charged (LibreChat's tokenCredits: 1,000,000 = 1 USD); 0 when balances are off.
    token_cost        bigint not null,
    created_at        bigint not null
);
-- Per-user usage over time (analytics, balances).
create index generations_user_time on generations (user_id, created_at);

-- API keys users bring for `user_provided` endpoints (LibreChat's /api/keys), encrypted with the
-- server's credentials key; the plaintext is never stored.
create table user_keys (
    user_id    text not null references users (id) on delete cascade,
    -- The endpoint key (`openAI`, a custom endpoint's name, …).
    name       text not null,
    ciphertext text not null,
    expires_at bigint,
    updated_at bigint not null,
    primary key (user_id, name)
);

-- Token balances (LibreChat's `balance` settings). A row is created with the start balance the
-- first time a user needs one; answers debit it in the same transaction that stores them.
create table balances (
    user_id       text primary key references users (id) on delete cascade,
    token_credits bigint not null,
    last_refill   bigint not null,
    updated_at    bigint not null
);
