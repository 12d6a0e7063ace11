-- Temporary chats (LibreChat's `isTemporary`): when the conversation is purged; null for a normal
-- chat. Temporary chats stay out of the sidebar lists, so their indexes leave them out too.
alter table conversations add column expired_at bigint;

drop index conversations_user_list;
create index conversations_user_list on conversations (user_id, is_archived, updated_at, id)
    where deleted_at is null and expired_at is null;

drop index conversations_folder_list;
create index conversations_folder_list on conversations (user_id, folder_id, is_archived, updated_at, id)
    where deleted_at is null and expired_at is null;

-- The purge finds expired ones without a scan.
create index conversations_expired on conversations (expired_at) where expired_at is not null;
