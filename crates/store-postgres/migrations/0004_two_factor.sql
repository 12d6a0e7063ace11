-- Two-factor authentication (TOTP). The secret is stored encrypted with CREDS_KEY
-- (AES-256-GCM), never in the clear; it is set while 2FA is being set up and enabled only once
-- a code from the authenticator app was confirmed.
alter table users add column two_factor_enabled boolean not null default false;
alter table users add column totp_secret text;
-- The last accepted time step: a code is accepted once, so an observed code cannot be replayed
-- within its 30-second window.
alter table users add column totp_last_step bigint;

-- One-time backup codes, stored hashed; a code is spent by setting used_at.
create table backup_codes (
    user_id    text not null references users (id) on delete cascade,
    code_hash  text not null,
    used_at    bigint,
    primary key (user_id, code_hash)
);
