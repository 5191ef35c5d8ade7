//! `sfumato`: the command-line tool of the sfumato workspace.
//!
//! Every command prints human-readable text by default and exactly one JSON
//! document with `--json`. Exit codes:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success, `--help`, `--version`, or stdout closed early by its reader |
//! | 1 | the output could not be written |
//! | 2 | bad arguments or parameters: one line `error: …` on stderr |
//!
//! Nothing reachable from the command line panics.

mod cli;
mod cli_cluster;
mod cli_dream;
mod cli_net;
mod cli_query;
mod cli_results;
mod cli_sim;
mod cli_stream;
mod commands;
mod error;
mod output;
mod progress;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::error::{CliError, EXIT_USAGE};
use crate::output::Output;

/// mimalloc: a simulated million participants allocate and free vectors
/// of ten kilobytes across worker threads; glibc's allocator fragments
/// under that pattern (docs/PERFORMANCE.md, "Chiaroscuro end to end").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_closed_pipe() {
                error_line(&e.to_string());
            }
            e.exit_code()
        }
    }
}

/// Runs the parsed command, then flushes stdout.
fn run(cli: Cli) -> Result<(), CliError> {
    let mut out = Output::stdout(cli.json);
    commands::run(&cli.command, &mut out)?;
    out.finish()
}

/// `--help` and `--version` print as clap renders them and succeed; every
/// other clap error becomes one line on stderr and exit code 2.
fn clap_exit(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        // Help or version: a closed stdout is no failure either.
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    error_line(&fold_clap_error(&e.render().to_string()));
    ExitCode::from(EXIT_USAGE)
}

/// Writes `error: <message>` as one line on stderr, ignoring a failure to do
/// so (there is nowhere left to report it).
fn error_line(message: &str) {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    let _ = writeln!(io::stderr().lock(), "error: {message}");
}

/// How a line of a clap error joins the one before it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Join {
    /// Continuation of a sentence: a space.
    Space,
    /// First item after a line ending in `:`: a space.
    ListStart,
    /// Further items of that list: a comma.
    ListItem,
}

/// Folds clap's multi-line error into one line: the message, its indented
/// details and tips are joined, the usage block and the "For more
/// information" footer are replaced by a pointer to the right `--help`.
///
/// ```text
/// error: the following required arguments were not provided:
///   --epsilon <E>
///
/// Usage: sfumato dp budget --epsilon <E> --strategy <STRATEGY> --iterations <N>
///
/// For more information, try '--help'.
/// ```
///
/// becomes `error: the following required arguments were not provided:
/// --epsilon <E> (see 'sfumato dp budget --help')`.
fn fold_clap_error(rendered: &str) -> String {
    let mut line = String::new();
    let mut help_for = None;
    for paragraph in rendered.split("\n\n") {
        let paragraph = paragraph.trim_matches('\n');
        let first = paragraph.trim_start();
        if let Some(usage) = first.strip_prefix("Usage:") {
            help_for = Some(command_path(usage));
            continue;
        }
        if first.is_empty() || first.starts_with("For more information") {
            continue;
        }
        let mut join = Join::Space;
        for (i, raw) in paragraph.lines().enumerate() {
            let text = raw.trim();
            if text.is_empty() {
                continue;
            }
            if !line.is_empty() {
                line.push_str(match (i, join) {
                    (0, _) => "; ",
                    (_, Join::ListItem) => ", ",
                    _ => " ",
                });
            }
            line.push_str(text);
            join = match join {
                _ if text.ends_with(':') => Join::ListStart,
                Join::ListStart | Join::ListItem => Join::ListItem,
                Join::Space => Join::Space,
            };
        }
    }
    if let Some(path) = help_for.filter(|p| !p.is_empty()) {
        line.push_str(&format!(" (see '{path} --help')"));
    }
    line
}

/// The command words at the start of a usage line: `sfumato dp budget` in
/// `sfumato dp budget [OPTIONS] --epsilon <E>`.
fn command_path(usage: &str) -> String {
    usage
        .split_whitespace()
        .take_while(|w| !w.starts_with(['[', '<', '-']))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_a_list_into_one_line() {
        let rendered = "error: the following required arguments were not provided:\n  \
            --epsilon <E>\n  --iterations <N>\n\nUsage: sfumato dp budget --epsilon <E> \
            --iterations <N>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            fold_clap_error(rendered),
            "error: the following required arguments were not provided: --epsilon <E>, \
             --iterations <N> (see 'sfumato dp budget --help')"
        );
    }

    #[test]
    fn folds_details_and_tips() {
        let rendered = "error: invalid value 'gauss' for '--mechanism <MECHANISM>'\n  \
            [possible values: laplace, polya-shares]\n\n  tip: a similar value exists: \
            'laplace'\n\nFor more information, try '--help'.\n";
        assert_eq!(
            fold_clap_error(rendered),
            "error: invalid value 'gauss' for '--mechanism <MECHANISM>' [possible values: \
             laplace, polya-shares]; tip: a similar value exists: 'laplace'"
        );
    }
}
