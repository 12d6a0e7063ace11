-- Full-text search over messages: a GIN index on the text of each message, maintained by
-- PostgreSQL as rows are written. The 'simple' configuration lower-cases words and does no
-- stemming, like SQLite's unicode61 tokenizer (which also folds diacritics; this does not).

-- What a message says, as searched: the text parts of `content` (answers), then `text`.
-- Immutable, as an index expression must be; malformed content counts as no parts.
create function ferrochat_search_text(body text, content text) returns text
language plpgsql immutable parallel safe as $$
declare
    parts text;
begin
    if content is null then
        return body;
    end if;
    begin
        select string_agg(coalesce(p -> 'text' ->> 'value', p ->> 'text'), ' ')
          into parts
          from jsonb_array_elements(content::jsonb) p
         where p ->> 'type' = 'text';
    exception when others then
        return body;
    end;
    return coalesce(parts, '') || ' ' || body;
end
$$;

create index messages_search on messages
    using gin (to_tsvector('simple', ferrochat_search_text(text, content)));
