-- Links between accounts and external identities (OpenID Connect subjects). A returning user is
-- recognised by (provider, subject), which never changes, rather than by an email address,
-- which can.
create table user_identities (
    provider    text not null,
    subject     text not null,
    user_id     text not null references users (id) on delete cascade,
    created_at  bigint not null,
    primary key (provider, subject)
);

-- Account deletion cascades by user.
create index user_identities_user on user_identities (user_id);
