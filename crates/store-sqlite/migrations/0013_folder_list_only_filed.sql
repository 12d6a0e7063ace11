-- The folder list's index held every conversation, filed or not, so each chat turn wrote it too
-- (a new conversation's insert, every later turn's `updated_at` bump). It now holds filed
-- conversations only: the folder list asks for `folder_id = $n`, which implies `is not null`, so
-- both engines still use it there, and a turn in an unfiled conversation writes one index less.
drop index conversations_folder_list;
create index conversations_folder_list on conversations (user_id, folder_id, is_archived, updated_at, id)
    where deleted_at is null and expired_at is null and folder_id is not null;
