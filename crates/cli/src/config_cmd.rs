//! `ferrochat config check|show` (`example` is handled before loading).

use std::process::ExitCode;

use ferrochat_config::{Config, render};

use crate::args::ConfigCommand;

/// Runs a config subcommand on an already-validated configuration.
pub fn run(command: &ConfigCommand, config: &Config) -> ExitCode {
    match command {
        ConfigCommand::Check => {
            println!("configuration is valid");
        }
        ConfigCommand::Show => {
            print!("{}", render::show(config));
        }
        ConfigCommand::Example => {
            print!("{}", render::example_file());
        }
    }
    ExitCode::SUCCESS
}
