//! `sfumato overlay …`: suitable sizes of Tremel's deterministic overlay.

use serde_json::json;
use sfumato_overlay::{gap_histogram, suitable_sizes};

use crate::cli::{OverlayGapsArgs, OverlayPrimesArgs};
use crate::error::CliError;
use crate::output::Output;

/// `sfumato overlay primes`: one size per line, or the count.
pub(crate) fn primes(args: &OverlayPrimesArgs, out: &mut Output) -> Result<(), CliError> {
    let sizes = suitable_sizes(args.max)?;
    if out.is_json() {
        if args.count {
            out.json(&json!({ "command": "overlay primes", "max": args.max, "count": sizes.len() }))
        } else {
            out.json(&json!({ "command": "overlay primes", "max": args.max, "count": sizes.len(), "sizes": sizes }))
        }
    } else if args.count {
        out.line(sizes.len())
    } else {
        for n in sizes {
            out.line(n)?;
        }
        Ok(())
    }
}

/// `sfumato overlay gaps`: `gap<TAB>count` lines.
pub(crate) fn gaps(args: &OverlayGapsArgs, out: &mut Output) -> Result<(), CliError> {
    let h = gap_histogram(args.max)?;
    if out.is_json() {
        let rows: Vec<_> = h
            .iter()
            .map(|(g, c)| json!({ "gap": g, "count": c }))
            .collect();
        return out.json(&json!({ "command": "overlay gaps", "max": args.max, "histogram": rows }));
    }
    out.line("gap\tcount")?;
    for (g, c) in h {
        out.line(format_args!("{g}\t{c}"))?;
    }
    Ok(())
}
