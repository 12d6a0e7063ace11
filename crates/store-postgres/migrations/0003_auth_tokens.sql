-- Single-use tokens mailed to users: password resets and email verification. Only a hash is
-- stored; a token is spent by setting used_at, so it cannot be replayed, and it expires.
create table auth_tokens (
    id          text primary key,
    user_id     text not null references users (id) on delete cascade,
    purpose     text not null check (purpose in ('reset_password', 'verify_email')),
    token_hash  text not null,
    expires_at  bigint not null,
    created_at  bigint not null,
    used_at     bigint
);

-- Redeeming looks up a user's live tokens of one purpose.
create index auth_tokens_user_purpose on auth_tokens (user_id, purpose);
