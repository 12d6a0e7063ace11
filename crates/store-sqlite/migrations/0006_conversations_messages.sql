-- Conversations and their message trees. IDs are the UUIDs LibreChat's client generates
-- (conversationId, messageId), stored as text. Model parameters and the other optional
-- LibreChat fields live in `settings` (JSON text): they are read and written whole, never queried.
create table conversations (
    id           text primary key,
    user_id      text not null references users (id) on delete cascade,
    title        text not null default 'New Chat',
    endpoint     text,
    endpoint_type text,
    model        text,
    is_archived  boolean not null default false,
    settings     text not null default '{}',
    created_at   bigint not null,
    updated_at   bigint not null,
    -- Soft delete: set by delete, cleared by restore, purged after the retention period.
    deleted_at   bigint
);

-- The sidebar list: a user's live conversations, archived or not, newest first; keyset cursor
-- on (updated_at, id).
create index conversations_user_list on conversations (user_id, is_archived, updated_at, id)
    where deleted_at is null;

create table messages (
    id                  text primary key,
    conversation_id     text not null references conversations (id) on delete cascade,
    user_id             text not null references users (id) on delete cascade,
    -- Null for a root message (LibreChat's NO_PARENT).
    parent_id           text,
    sender              text not null,
    text                text not null default '',
    -- Content parts (JSON text) for answers from the agents pipeline; null for plain text.
    content             text,
    is_created_by_user  boolean not null,
    error               boolean not null default false,
    unfinished          boolean not null default false,
    model               text,
    endpoint            text,
    token_count         bigint,
    created_at          bigint not null,
    updated_at          bigint not null
);

-- A conversation's whole tree in one query, parents first (creation order).
create index messages_conversation on messages (conversation_id, created_at, id);
