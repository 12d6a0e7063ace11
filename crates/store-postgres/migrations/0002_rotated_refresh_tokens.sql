-- Refresh tokens that were rotated away. A rotated token presented again means it was copied
-- (stolen or replayed), so the whole session, i.e. the token family, is revoked. Rows go with
-- their session.
create table rotated_refresh_tokens (
    token_hash  text primary key,
    session_id  text not null references sessions (id) on delete cascade,
    rotated_at  bigint not null
);

-- Cascading deletes from sessions look rows up by session.
create index rotated_refresh_tokens_session on rotated_refresh_tokens (session_id);
