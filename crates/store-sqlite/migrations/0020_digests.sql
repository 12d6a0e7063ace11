-- Weekly digest subscriptions (opt-in, one row per subscribed user). `last_week` is the start
-- (ms) of the last week whose digest was claimed for the user: claiming is a compare-and-swap
-- on it, so with several instances each week's digest goes out once.
create table digest_subscriptions (
    user_id       text primary key references users (id) on delete cascade,
    subscribed_at bigint not null,
    last_week     bigint not null
);
create index digest_subscriptions_due on digest_subscriptions (last_week, user_id);
