//! `sfumato results list|show`: what a results store holds.

use serde_json::json;
use sfumato_results::Store;

use crate::cli_results::ResultsCommand;
use crate::error::CliError;
use crate::output::Output;

/// Runs the command.
pub(crate) fn run(c: &ResultsCommand, out: &mut Output) -> Result<(), CliError> {
    match c {
        ResultsCommand::List(a) => {
            let store = Store::open_read_only(&a.store)?;
            let runs = store.runs()?;
            if out.is_json() {
                return out.json(&json!({ "command": "results list", "runs": runs }));
            }
            if runs.is_empty() {
                return out.line(format!("{}: no runs", a.store.display()));
            }
            out.line(format!(
                "{:>5}  {:<8}  {:>20}  label",
                "run", "kind", "seed"
            ))?;
            for r in runs {
                out.line(format!(
                    "{:>5}  {:<8}  {:>20}  {}{}",
                    r.id,
                    r.kind.name(),
                    r.seed,
                    r.label,
                    if r.insecure {
                        " [INSECURE stand-in]"
                    } else {
                        ""
                    }
                ))?;
            }
            Ok(())
        }
        ResultsCommand::Show(a) => {
            let store = Store::open_read_only(&a.store)?;
            let r = store.run(a.run)?;
            if out.is_json() {
                return out.json(&json!({ "command": "results show", "id": r.id, "run": r.run }));
            }
            let run = &r.run;
            out.line(format!("run {} ({}): {}", r.id, run.kind.name(), run.label))?;
            out.line(format!("parameters: {}", run.params))?;
            if run.insecure {
                out.line("an INSECURE stand-in ran (simulation only)")?;
            }
            for it in &run.iterations {
                out.line(format!(
                    "iteration {}: ε {}, inertia {} before noise, {} after; {} centroids before, {} after",
                    it.iteration,
                    it.epsilon.map_or("-".into(), |e| format!("{e:.4}")),
                    it.inertia_before.map_or("-".into(), |x| format!("{x:.2}")),
                    it.inertia_after.map_or("-".into(), |x| format!("{x:.2}")),
                    it.centroids_before.len(),
                    it.centroids_after.len()
                ))?;
            }
            for t in &run.timings {
                out.line(format!(
                    "time: {} at {} bits{}: {:.1} µs per participant",
                    t.operation,
                    t.key_bits,
                    if t.iteration > 0 {
                        format!(", iteration {}", t.iteration)
                    } else {
                        String::new()
                    },
                    t.micros_per_participant
                ))?;
            }
            for t in &run.traffic {
                out.line(format!(
                    "traffic at {} bits: {:.0} bytes and {:.1} messages per participant",
                    t.key_bits, t.bytes_per_participant, t.messages_per_participant
                ))?;
            }
            if !run.series.is_empty() {
                out.line(format!(
                    "series of participants {}",
                    run.series
                        .iter()
                        .map(|s| s.participant.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))?;
            }
            if !run.slots.is_empty() {
                out.line(format!("{} slots (published vs true)", run.slots.len()))?;
            }
            if !run.answers.is_empty() {
                out.line(format!("{} answers (beside the truth)", run.answers.len()))?;
            }
            Ok(())
        }
    }
}
