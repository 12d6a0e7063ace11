-- Usage analytics over all users walk the generation records by time.
create index generations_time on generations (created_at);
