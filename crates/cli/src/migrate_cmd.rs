//! `ferrochat migrate [status]`.

use ferrochat_config::Config;

use crate::args::MigrateCommand;

/// Applies pending migrations, or lists them all with their state.
pub async fn run(command: Option<MigrateCommand>, config: &Config) -> anyhow::Result<()> {
    let store = ferrochat_server::open_store(&config.database).await?;
    match command {
        None => {
            let applied = store.migrate().await?;
            if applied.is_empty() {
                println!("database is up to date");
            } else {
                for version in applied {
                    println!("applied {version:04}");
                }
            }
        }
        Some(MigrateCommand::Status) => {
            println!("{:<8} {:<9} description", "version", "state");
            for m in store.migration_status().await? {
                let state = match (m.applied, m.checksum_matches) {
                    (true, true) => "applied",
                    (true, false) => "MODIFIED",
                    (false, _) => "pending",
                };
                println!(
                    "{:<8} {:<9} {}",
                    format!("{:04}", m.version),
                    state,
                    m.description
                );
            }
        }
    }
    store.close().await;
    Ok(())
}
