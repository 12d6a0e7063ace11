-- Uploaded files: the metadata of blobs kept in the blob store (local directory or S3). A row is
-- written after its blob and removed before it, so a row never names a missing blob.
create table files (
    id           text primary key,
    user_id      text not null references users (id) on delete cascade,
    filename     text not null,
    content_type text not null,
    bytes        bigint not null,
    sha256       text not null,
    storage_key  text not null,
    -- Which blob store holds it: local or s3.
    source       text not null,
    width        bigint,
    height       bigint,
    -- LibreChat's context (message_attachment, avatar, …).
    context      text not null,
    -- The client's temporary ID while uploading (LibreChat's temp_file_id).
    temp_file_id text,
    created_at   bigint not null
);

-- The owner's list, newest first (keyset cursor), and their total for the quota.
create index files_user on files (user_id, created_at, id);

-- Resumable (tus) uploads in progress. Each write is a part blob; the last one joins them into
-- the file.
create table uploads (
    id           text primary key,
    user_id      text not null references users (id) on delete cascade,
    length       bigint not null,
    -- Bytes received; a write names the offset it starts at and only applies if it still holds.
    upload_offset bigint not null,
    -- JSON array of part blob keys, in order.
    parts        text not null,
    filename     text not null,
    content_type text not null,
    metadata     text not null,
    file_id      text,
    expires_at   bigint not null,
    created_at   bigint not null
);

create index uploads_user on uploads (user_id);
-- The sweep of expired uploads.
create index uploads_expiry on uploads (expires_at);
