//! `sfumato results …`: the runs recorded in a results store.

use clap::{Args, Subcommand};

/// `sfumato results …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ResultsCommand {
    /// The runs in a store, newest first
    List(ResultsListArgs),
    /// One run, whole (its parameters, report and figures)
    Show(ResultsShowArgs),
}

/// Arguments of `sfumato results list`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    sfumato cluster run --synthetic numed --participants 600 --k 5 --store runs.sqlite\n  \
    sfumato results list --store runs.sqlite")]
pub(crate) struct ResultsListArgs {
    /// The results store (SQLite)
    #[arg(long, value_name = "FILE")]
    pub(crate) store: std::path::PathBuf,
}

/// Arguments of `sfumato results show`.
#[derive(Debug, Args)]
pub(crate) struct ResultsShowArgs {
    /// The results store (SQLite)
    #[arg(long, value_name = "FILE")]
    pub(crate) store: std::path::PathBuf,

    /// The run's id (see `sfumato results list`)
    #[arg(long, value_name = "ID")]
    pub(crate) run: i64,
}
