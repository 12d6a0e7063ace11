//! `ferrochat user create|list|set-role|delete`: operator account management through the same
//! services the API uses.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use ferrochat_config::Config;
use ferrochat_core::Role;
use ferrochat_services::users::CreateUser;
use ferrochat_services::{FileService, ServiceError, SystemClock, UserService};

use crate::args::UserCommand;

/// Runs a user subcommand against the configured database (migrating it first, so a fresh
/// install can create its admin before the first `serve`).
pub async fn run(command: UserCommand, config: &Config) -> anyhow::Result<()> {
    let store = ferrochat_server::open_store(&config.database).await?;
    store.migrate().await?;
    let clock = Arc::new(SystemClock);
    // Deleting an account also removes its file contents, as through the API.
    let files = FileService::new(
        store.clone(),
        ferrochat_server::blobs(config)?,
        clock.clone(),
        ferrochat_server::file_policy(config),
    );
    let users = UserService::new(store.clone(), clock).with_files(files);
    let result = dispatch(command, &users).await;
    store.close().await;
    result
}

async fn dispatch(command: UserCommand, users: &UserService) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            email,
            name,
            username,
            role,
        } => {
            let role: Role = role.parse()?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let password = read_password()?;
            let user = users
                .create(CreateUser {
                    email,
                    name,
                    username,
                    password,
                    role,
                    email_verified: true,
                })
                .await
                .map_err(explain)?;
            println!("created {} {} ({})", user.id, user.email, user.role);
        }
        UserCommand::List { limit } => {
            let mut after = None;
            let mut shown = 0u32;
            println!("{:<36}  {:<5}  {:<6}  email", "id", "role", "banned");
            while shown < limit {
                let page = users
                    .list(after, (limit - shown).min(200))
                    .await
                    .map_err(explain)?;
                for u in &page.users {
                    println!("{:<36}  {:<5}  {:<6}  {}", u.id, u.role, u.banned, u.email);
                }
                shown += u32::try_from(page.users.len()).unwrap_or(u32::MAX);
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        UserCommand::SetRole { user, role } => {
            let role: Role = role.parse()?;
            let found = users.find(&user).await.map_err(explain)?;
            let updated = users.set_role(found.id, role).await.map_err(explain)?;
            println!("{} is now {}", updated.email, updated.role);
        }
        UserCommand::Delete { user, yes } => {
            let found = users.find(&user).await.map_err(explain)?;
            if !yes && !confirm(&format!("Delete {} and everything it owns?", found.email))? {
                bail!("not deleted");
            }
            users.delete(found.id).await.map_err(explain)?;
            println!("deleted {}", found.email);
        }
    }
    Ok(())
}

/// Prompts twice on a terminal; reads one line from standard input otherwise (scripts:
/// `printf '%s\n' "$PASSWORD" | ferrochat user create …`).
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Repeat password: ")?;
        if first != again {
            bail!("passwords do not match");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("refusing to delete without --yes when not on a terminal");
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Turns service errors into messages an operator can act on.
fn explain(err: ServiceError) -> anyhow::Error {
    match err {
        ServiceError::Invalid(fields) => {
            let list: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            anyhow::anyhow!("invalid input: {}", list.join("; "))
        }
        other => anyhow::Error::new(other),
    }
}
