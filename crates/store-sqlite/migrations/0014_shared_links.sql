-- Shared links: a read-only view of a conversation at /share/<id>. The link holds no copy of the
-- messages: it shows those of the conversation created up to `snapshot_at` (so later turns stay
-- private until the owner refreshes it), and edits or deletions of those show through. Deleting
-- the conversation hides its links (restoring brings them back); purging removes them.
create table shared_links (
    -- 21 random URL-safe characters: the secret part of the URL.
    id                text primary key,
    user_id           text not null references users (id) on delete cascade,
    conversation_id   text not null references conversations (id) on delete cascade,
    title             text not null,
    -- Only the branch from the root down to this message is shown, when set.
    target_message_id text,
    snapshot_at       bigint not null,
    expires_at        bigint,
    -- Argon2 PHC string; viewers must give the password when set.
    password_hash     text,
    created_at        bigint not null,
    updated_at        bigint not null
);

-- The owner's list, newest first or by title (keyset cursors on both).
create index shared_links_user_created on shared_links (user_id, created_at, id);
create index shared_links_user_title on shared_links (user_id, title, id);
-- The link of a conversation (the client asks for it whenever a conversation opens).
create index shared_links_conversation on shared_links (conversation_id, created_at);
