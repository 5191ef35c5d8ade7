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

/// Arguments of `sfumato dashboard`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sfumato dashboard                      # records the demo's scenarios first, then serves them\n  \
    sfumato dashboard --store runs.sqlite --addr 127.0.0.1:8080\n\
    Open the printed address in a browser. The server binds to localhost unless --addr says otherwise.")]
pub(crate) struct DashboardArgs {
    /// The results store to show; without it, the demo's scenarios are recorded into a new one first
    #[arg(long, value_name = "FILE")]
    pub(crate) store: Option<std::path::PathBuf>,

    /// Where the demo's scenarios are recorded when --store is not given
    #[arg(long, value_name = "FILE", conflicts_with = "store")]
    pub(crate) record_to: Option<std::path::PathBuf>,

    /// Key sizes the demo's timings are measured at (threshold Damgård–Jurik, paper 003's three; the
    /// 2048-bit key takes about two minutes to generate)
    #[arg(
        long,
        value_name = "BITS,…",
        value_delimiter = ',',
        default_value = "512,1024,2048"
    )]
    pub(crate) key_sizes: Vec<u32>,

    /// The address to serve on (port 0: any free port)
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
    pub(crate) addr: std::net::SocketAddr,

    /// Record the scenarios and exit without serving
    #[arg(long)]
    pub(crate) record_only: bool,
}
