-- Bookmarks (LibreChat's conversation tags), folders and presets. Each belongs to one user;
-- names and preset IDs are unique per user only, so another user's choice never collides (and
-- a conflict can never reveal that someone else picked the same name).

create table tags (
    id          text primary key,
    user_id     text not null references users (id) on delete cascade,
    name        text not null,
    description text,
    -- Order in the bookmarks menu (0 first); kept dense by the store.
    position    bigint not null,
    created_at  bigint not null,
    updated_at  bigint not null
);
create unique index tags_user_name on tags (user_id, name);

-- Which conversations carry which tag. Counts are computed from it, never stored, so they
-- cannot drift.
create table conversation_tags (
    conversation_id text not null references conversations (id) on delete cascade,
    tag_id          text not null references tags (id) on delete cascade,
    primary key (conversation_id, tag_id)
);
create index conversation_tags_tag on conversation_tags (tag_id, conversation_id);

create table folders (
    id         text primary key,
    user_id    text not null references users (id) on delete cascade,
    name       text not null,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index folders_user_name on folders (user_id, name);

-- A conversation sits in at most one folder; deleting the folder leaves its conversations.
alter table conversations add column folder_id text references folders (id) on delete set null;
create index conversations_folder_list on conversations (user_id, folder_id, is_archived, updated_at, id)
    where deleted_at is null;

create table presets (
    -- LibreChat's presetId: chosen by the client or the server, unique per user.
    id           text not null,
    user_id      text not null references users (id) on delete cascade,
    title        text,
    is_default   boolean not null default false,
    -- The client's `order` (null when it sent none).
    position     bigint,
    -- Every other preset field (model parameters, endpoint, …) as a JSON object.
    settings     text not null default '{}',
    created_at   bigint not null,
    updated_at   bigint not null,
    primary key (user_id, id)
);
