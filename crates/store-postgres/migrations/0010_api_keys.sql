-- Personal API keys. Only the SHA-256 of a token is stored (tokens are 256-bit random, so a
-- plain hash is enough); lookups go by it. Revoking deletes the row.
create table api_keys (
    id         text primary key,
    user_id    text not null references users (id) on delete cascade,
    name       text not null,
    -- The token's first characters, shown in lists.
    prefix     text not null,
    token_hash text not null,
    -- Comma-separated scope names.
    scopes     text not null,
    expires_at bigint,
    created_at bigint not null
);
create unique index api_keys_token_hash on api_keys (token_hash);
create index api_keys_user on api_keys (user_id, created_at);
