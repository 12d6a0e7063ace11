-- Files attached to a message: a JSON array of {file_id, filename, type, filepath, width,
-- height}, as the LibreChat client sends and shows them. The files themselves are rows of
-- `files`; a deleted file leaves its reference here, and answers skip it.
alter table messages add column files text;
