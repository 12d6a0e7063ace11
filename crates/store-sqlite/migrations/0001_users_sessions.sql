-- Accounts and login sessions: the ground every later table references.
-- Timestamps are BIGINT milliseconds since the epoch (UTC) on both engines, so SQL comparing or
-- ordering them is shared and keyset cursors sort identically everywhere.

create table users (
    id              text primary key,              -- UUIDv7: time-ordered, so `order by id` is creation order
    email           text not null unique,          -- stored lower-cased: the unique index is case-insensitive
    username        text unique,
    name            text not null,
    avatar          text,
    provider        text not null default 'local', -- 'local' or the social/OpenID provider that created it
    role            text not null default 'USER' check (role in ('USER', 'ADMIN')),
    password_hash   text,                          -- PHC string; null for provider-only accounts
    email_verified  boolean not null default false,
    banned          boolean not null default false,
    terms_accepted  boolean not null default false,
    created_at      bigint not null,
    updated_at      bigint not null
);

-- One row per refresh-token family. Only the token's hash is kept, so reading this table does
-- not yield usable tokens.
create table sessions (
    id            text primary key,
    user_id       text not null references users (id) on delete cascade,
    token_hash    text not null unique,
    expires_at    bigint not null,
    created_at    bigint not null,
    last_used_at  bigint not null,
    revoked_at    bigint,
    user_agent    text,
    ip            text
);

-- "My sessions" lists and revoke-all scan by user; the purge job scans by expiry.
create index sessions_user_created on sessions (user_id, created_at);
create index sessions_expires on sessions (expires_at);
