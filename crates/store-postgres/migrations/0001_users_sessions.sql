-- Accounts and login sessions: the ground every later table references.
-- Same version and shape as the SQLite migration. Timestamps are BIGINT milliseconds since the
-- epoch (UTC) on both engines, so SQL comparing or ordering them is shared.
-- Constraints are named <table>_<column>_key so services can tell which field clashed.

create table users (
    id              text primary key,              -- UUIDv7: time-ordered, so `order by id` is creation order
    email           text not null,                 -- stored lower-cased: the unique index is case-insensitive
    username        text,
    name            text not null,
    avatar          text,
    provider        text not null default 'local', -- 'local' or the social/OpenID provider that created it
    role            text not null default 'USER' check (role in ('USER', 'ADMIN')),
    password_hash   text,                          -- PHC string; null for provider-only accounts
    email_verified  boolean not null default false,
    banned          boolean not null default false,
    terms_accepted  boolean not null default false,
    created_at      bigint not null,
    updated_at      bigint not null,
    constraint users_email_key unique (email),
    constraint users_username_key unique (username)
);

-- One row per refresh-token family. Only the token's hash is kept.
create table sessions (
    id            text primary key,
    user_id       text not null references users (id) on delete cascade,
    token_hash    text not null,
    expires_at    bigint not null,
    created_at    bigint not null,
    last_used_at  bigint not null,
    revoked_at    bigint,
    user_agent    text,
    ip            text,
    constraint sessions_token_hash_key unique (token_hash)
);

create index sessions_user_created on sessions (user_id, created_at);
create index sessions_expires on sessions (expires_at);
