-- Prompt templates (LibreChat's prompt library): a group holds the versions of one prompt; the
-- version in use is the group's production prompt.
create table prompt_groups (
    id                    text primary key,
    user_id               text not null references users (id) on delete cascade,
    name                  text not null,
    -- Slash command (`/command`) inserting the prompt; unique per user.
    command               text,
    oneliner              text not null,
    category              text not null,
    -- The version in use. No foreign key: versions reference their group, and a delete of the
    -- version in use moves this to another version in the same transaction.
    production_id         text,
    number_of_generations bigint not null,
    created_at            bigint not null,
    updated_at            bigint not null
);

-- The owner's list, most recently changed first (keyset and page cursors).
create index prompt_groups_user on prompt_groups (user_id, updated_at, id);
create unique index prompt_groups_command on prompt_groups (user_id, command)
    where command is not null;

create table prompts (
    id         text primary key,
    group_id   text not null references prompt_groups (id) on delete cascade,
    user_id    text not null references users (id) on delete cascade,
    prompt     text not null,
    -- text or chat.
    type       text not null,
    created_at bigint not null,
    updated_at bigint not null
);

-- A group's versions, newest first.
create index prompts_group on prompts (group_id, created_at, id);
