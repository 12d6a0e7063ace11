//! Command-line syntax. Flags that set options are turned into the highest configuration layer;
//! everything else is plain subcommand arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use ferrochat_config::Sources;

/// ferrochat: a self-hosted, multi-user AI chat server, compatible with the LibreChat client.
#[derive(Parser, Debug)]
#[command(name = "ferrochat", version, about, long_about = None)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: Global,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Configuration flags, accepted before or after the subcommand.
#[derive(Args, Debug)]
pub struct Global {
    /// Configuration file (default: ./ferrochat.yaml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (server.host).
    #[arg(long, global = true)]
    pub host: Option<String>,
    /// Port to listen on (server.port).
    #[arg(long, global = true)]
    pub port: Option<String>,
    /// Data directory (data_dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<String>,
    /// Database URL, sqlite: or postgres:// (database.url).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Log level: trace, debug, info, warn, error (log.level).
    #[arg(long, global = true)]
    pub log_level: Option<String>,
    /// Log format: text or json (log.format).
    #[arg(long, global = true)]
    pub log_format: Option<String>,
    /// Any option by key, e.g. --set database.max_connections=20 (repeatable).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl Global {
    /// The process environment plus these flags as the top layer.
    pub fn sources(&self) -> Sources {
        let mut sources = Sources::from_process();
        sources.file = self.config.clone();
        let named = [
            ("server.host", "--host", &self.host),
            ("server.port", "--port", &self.port),
            ("data_dir", "--data-dir", &self.data_dir),
            ("database.url", "--database-url", &self.database_url),
            ("log.level", "--log-level", &self.log_level),
            ("log.format", "--log-format", &self.log_format),
        ];
        for (key, flag, value) in named {
            if let Some(value) = value {
                sources.flags.push((key.into(), value.clone(), flag.into()));
            }
        }
        for pair in &self.set {
            let (key, value) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
            sources
                .flags
                .push((key.trim().into(), value.into(), format!("--set {key}")));
        }
        sources
    }
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations, or show their status.
    Migrate {
        /// `status` lists migrations without applying anything.
        #[command(subcommand)]
        command: Option<MigrateCommand>,
    },
    /// Validate, show or exemplify the configuration.
    Config {
        /// Which action.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Write a backup of the whole database (into backup.dir, or to --output), while the
    /// server runs or not.
    Backup {
        /// The file to write (gzip-compressed JSON Lines); default: a timestamped file in
        /// backup.dir.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Load a backup into an empty database (either engine: a SQLite backup restores into
    /// PostgreSQL). Stop the server first.
    Restore {
        /// The backup file, or `s3://bucket/key` for one in the backup bucket
        /// (backup.s3_bucket).
        file: PathBuf,
    },
    /// Manage user accounts.
    User {
        /// Which action.
        #[command(subcommand)]
        command: UserCommand,
    },
}

/// `ferrochat migrate …`
#[derive(Subcommand, Debug)]
pub enum MigrateCommand {
    /// List embedded migrations and whether the database has them.
    Status,
}

/// `ferrochat config …`
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Validate the configuration; exit 0 when valid, 2 with every problem listed otherwise.
    Check,
    /// Print the effective configuration with each value's origin; secrets redacted.
    Show,
    /// Print a commented example ferrochat.yaml with every option.
    Example,
}

/// `ferrochat user …`
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account. The password is read from a prompt, or from standard input when it is
    /// not a terminal; never from the command line, where other users could see it.
    Create {
        /// Login email.
        #[arg(long)]
        email: String,
        /// Display name (defaults to the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// Optional unique username.
        #[arg(long)]
        username: Option<String>,
        /// Role: USER or ADMIN.
        #[arg(long, default_value = "USER")]
        role: String,
    },
    /// List accounts.
    List {
        /// How many to show.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Change an account's role.
    SetRole {
        /// User ID or email.
        user: String,
        /// USER or ADMIN.
        role: String,
    },
    /// Delete an account and everything it owns.
    Delete {
        /// User ID or email.
        user: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}
