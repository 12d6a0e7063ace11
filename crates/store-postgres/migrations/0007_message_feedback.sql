-- A user's rating of an answer ({rating, tag, text?} as JSON text); null when none.
alter table messages add column feedback text;
