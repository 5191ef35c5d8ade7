//! The pages: the scenario picker, and one page per run (Chiaroscuro's
//! demonstrator views, paper 003; DREAM's published totals; Tremel's
//! answers).

use serde_json::{Value, json};
use sfumato_results::{Kind, RunRecord, RunSummary};

use crate::data::{
    BOB, centroids_at, chart_csv, charts, closest, picked, profiles, window_matches,
};
use crate::html::{escape, page};

/// Where a cluster page starts: the iteration shown, Bob's window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewState {
    /// The iteration the slider shows.
    pub iter: usize,
    /// The start and length of Bob's window.
    pub window: (usize, usize),
}

fn picker(runs: &[RunSummary], current: Option<i64>) -> String {
    let mut s = String::from(
        "<form class=\"picker\" action=\"/run\" method=\"get\"><label>Scenario \
<select id=\"scenario\" name=\"id\">",
    );
    for r in runs {
        s.push_str(&format!(
            "<option value=\"{}\"{}>#{} {} — {}{}</option>",
            r.id,
            if Some(r.id) == current {
                " selected"
            } else {
                ""
            },
            r.id,
            r.kind.name(),
            escape(&r.label),
            if r.insecure {
                " [INSECURE stand-in]"
            } else {
                ""
            }
        ));
    }
    s.push_str("</select></label> <button type=\"submit\">Show</button></form>");
    s
}

/// The list of runs, with the picker.
pub fn index(runs: &[RunSummary], store: &str) -> String {
    let mut body = format!(
        "<h1>Runs</h1><p class=\"meta\">store <code>{}</code>: {} runs</p>",
        escape(store),
        runs.len()
    );
    if runs.is_empty() {
        body.push_str("<p>No runs yet: record some with <code>--store</code> (cluster run, dream run, query run).</p>");
        return page("Runs", &body, None);
    }
    body.push_str(&picker(runs, None));
    body.push_str("<table id=\"runs\"><thead><tr><th>run</th><th>kind</th><th>label</th><th>seed</th></tr></thead><tbody>");
    for r in runs {
        body.push_str(&format!(
            "<tr><td><a href=\"/run/{id}\">#{id}</a></td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
            r.kind.name(),
            escape(&r.label),
            if r.insecure {
                " <span class=\"warn\">INSECURE stand-in</span>"
            } else {
                ""
            },
            r.seed,
            id = r.id
        ));
    }
    body.push_str("</tbody></table>");
    page("Runs", &body, None)
}

/// An error page.
pub fn error(title: &str, message: &str) -> String {
    page(
        title,
        &format!(
            "<h1>{}</h1><p class=\"error\" id=\"error\">{}</p><p><a href=\"/\">All runs</a></p>",
            escape(title),
            escape(message)
        ),
        None,
    )
}

fn downloads(id: i64, chart: &str) -> String {
    format!(
        "<p class=\"downloads\">Download: <a href=\"/api/run/{id}/{chart}.csv\">CSV</a> · \
<a href=\"/api/run/{id}/{chart}.json\">JSON</a></p>"
    )
}

fn fmt(x: f64) -> String {
    format!("{x:.3}")
}

/// Run `r`'s page.
pub fn run_page(r: &RunRecord, runs: &[RunSummary], state: ViewState) -> String {
    let run = &r.run;
    let mut body = format!(
        "{}<h1 id=\"title\">#{} {}</h1><p class=\"meta\">{} run, seed {}{}</p>",
        picker(runs, Some(r.id)),
        r.id,
        escape(&run.label),
        run.kind.name(),
        run.seed,
        if run.insecure {
            " — <span class=\"warn\">an INSECURE stand-in ran (simulation only)</span>"
        } else {
            ""
        }
    );
    let data = match run.kind {
        Kind::Cluster => cluster(r, state, &mut body),
        Kind::Dream => dream(r, &mut body),
        Kind::Query => query(r, &mut body),
    };
    body.push_str("<h2>All of the run</h2><p class=\"downloads\">");
    for c in charts(run.kind) {
        body.push_str(&format!(
            "{c}: <a href=\"/api/run/{id}/{c}.csv\">CSV</a> <a href=\"/api/run/{id}/{c}.json\">JSON</a> · ",
            id = r.id
        ));
    }
    body.push_str(&format!(
        "everything: <a href=\"/api/run/{}\">JSON</a></p>",
        r.id
    ));
    page(&format!("run {}", r.id), &body, Some(&data))
}

fn cluster(r: &RunRecord, state: ViewState, body: &mut String) -> Value {
    let run = &r.run;
    let id = r.id;
    let n_it = run.iterations.len();
    let iter = state.iter.min(n_it.saturating_sub(1));
    let chosen = picked(run);
    let series: Vec<&sfumato_results::SeriesRecord> = chosen
        .iter()
        .filter_map(|p| run.series.iter().find(|s| s.participant == *p))
        .collect();
    // Four participants and their closest perturbed centroid.
    body.push_str(&format!(
        "<section id=\"participants\"><h2>Four participants and the closest perturbed centroid</h2>\
<label>Iteration <input type=\"range\" id=\"iter\" min=\"0\" max=\"{}\" value=\"{iter}\"> \
<output id=\"iter-label\">{}</output></label><div class=\"grid\">",
        n_it.saturating_sub(1),
        iter + 1
    ));
    for s in &series {
        let text = run
            .iterations
            .get(iter)
            .and_then(|it| closest(&s.values, centroids_at(it)))
            .map_or("no centroids".to_string(), |(c, d)| {
                format!("closest centroid {c}, distance {}", fmt(d))
            });
        body.push_str(&format!(
            "<figure><div class=\"chart\" id=\"p-{p}\"></div><figcaption>participant {p}: \
<span class=\"closest\" id=\"closest-{p}\">{text}</span></figcaption></figure>",
            p = s.participant
        ));
    }
    body.push_str("</div>");
    body.push_str(&downloads(id, "series"));
    body.push_str("</section>");
    // Inertia.
    body.push_str(
        "<section id=\"inertia\"><h2>Intra-cluster inertia over the iterations</h2>\
<div class=\"chart\" id=\"inertia-chart\"></div><table><thead><tr><th>iteration</th><th>ε</th>\
<th>before noise</th><th>after noise</th></tr></thead><tbody>",
    );
    for it in &run.iterations {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            it.iteration + 1,
            it.epsilon.map_or("-".into(), |e| format!("{e:.4}")),
            it.inertia_before.map_or("-".into(), fmt),
            it.inertia_after.map_or("-".into(), fmt)
        ));
    }
    body.push_str("</tbody></table>");
    body.push_str(&downloads(id, "inertia"));
    body.push_str("</section>");
    // Centroids before and after noise.
    body.push_str("<section id=\"centroids\"><h2>The first four centroids, before and after the noise</h2>\
<p class=\"meta\">Solid: the exact means (known to the simulator only); dashed: the published, perturbed means. \
At the slider's iteration.</p><div class=\"chart\" id=\"centroids-chart\"></div>");
    body.push_str(&downloads(id, "centroids"));
    body.push_str("</section>");
    // Timings and traffic.
    body.push_str("<section id=\"timings\"><h2>Time per participant</h2>\
<p class=\"meta\">Per iteration (chart, log scale): each participant's encryption of its set, additions over its \
exchanges, and its share of the partial decryptions, from the measured time per value at each key size. \
Below, what was measured.</p><div class=\"chart\" id=\"timings-chart\"></div><table><thead><tr>\
<th>operation</th><th>key bits</th><th>iteration</th><th>µs per participant</th><th>measured</th></tr></thead><tbody>");
    for t in run.timings.iter().filter(|t| t.iteration == 0) {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td></tr>",
            escape(&t.operation),
            t.key_bits,
            if t.iteration == 0 {
                "all".to_string()
            } else {
                t.iteration.to_string()
            },
            t.micros_per_participant,
            if t.measured { "yes" } else { "modelled" }
        ));
    }
    body.push_str("</tbody></table>");
    body.push_str(&downloads(id, "timings"));
    body.push_str(
        "</section><section id=\"traffic\"><h2>Traffic per participant</h2>\
<p class=\"meta\">The run's own traffic, and for each measured key size the same messages with every value \
encrypted (estimated from the measured ciphertext size).</p><table><thead><tr>\
<th>key bits</th><th>bytes</th><th>messages</th></tr></thead><tbody>",
    );
    for t in &run.traffic {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{:.0}</td><td>{:.1}</td></tr>",
            if t.key_bits == 0 {
                "none (stand-in)".to_string()
            } else {
                t.key_bits.to_string()
            },
            t.bytes_per_participant,
            t.messages_per_participant
        ));
    }
    body.push_str("</tbody></table>");
    body.push_str(&downloads(id, "traffic"));
    body.push_str("</section>");
    // What can Bob do.
    let bob = run.series.iter().find(|s| s.participant == BOB);
    // Bob is matched against the profiles published at the slider's
    // iteration (or, if it published none, the last ones that were).
    let profs = run
        .iterations
        .get(iter)
        .map(|it| it.centroids_after.clone())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| profiles(run));
    let (start, len) = state.window;
    body.push_str("<section id=\"bob\"><h2>What can Bob do?</h2>");
    match bob {
        Some(b) => {
            let len = len.clamp(1, b.values.len().max(1));
            let start = start.min(b.values.len().saturating_sub(len));
            body.push_str(&format!(
                "<p class=\"meta\">Participant #{BOB}'s own series. Drag across the chart to choose a window \
(or set it below): the profiles published at the slider's iteration closest to that sub-sequence, by Euclidean and \
by z-normalised distance.</p>\
<div class=\"chart\" id=\"bob-chart\"></div>\
<label>start <input type=\"number\" id=\"w-start\" min=\"0\" value=\"{start}\"></label> \
<label>length <input type=\"number\" id=\"w-len\" min=\"1\" value=\"{len}\"></label> \
<output id=\"w-label\">slots {start}–{}</output><div class=\"grid two\">",
                start + len - 1
            ));
            let (eu, zn) = window_matches(&b.values, start, len, &profs);
            for (name, idn, list) in [
                ("Euclidean", "bob-euclid", eu),
                ("z-normalised", "bob-znorm", zn),
            ] {
                body.push_str(&format!("<div><h3>{name}</h3><ol id=\"{idn}\">"));
                for (c, d) in list.iter().take(3) {
                    body.push_str(&format!("<li>profile {c}: {}</li>", fmt(*d)));
                }
                body.push_str("</ol></div>");
            }
            body.push_str("</div>");
        }
        None => body.push_str(&format!(
            "<p id=\"no-bob\">Participant #{BOB} is not in this run (too few participants).</p>"
        )),
    }
    body.push_str("</section>");
    json!({
        "kind": "cluster",
        "id": id,
        "iter": iter,
        "iterations": run.iterations,
        "picked": series,
        "bob": bob,
        "profiles": profs,
        "window": [start, len],
        "timings": run.timings.iter().filter(|t| t.iteration > 0).collect::<Vec<_>>(),
    })
}

fn dream(r: &RunRecord, body: &mut String) -> Value {
    let run = &r.run;
    body.push_str(
        "<section id=\"slots\"><h2>Published and true totals per slot</h2>\
<div class=\"chart\" id=\"slots-chart\"></div><table><thead><tr><th>slot</th><th>published kWh</th>\
<th>true kWh</th><th>clusters published</th></tr></thead><tbody>",
    );
    for s in &run.slots {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.slot,
            s.published.map_or("not published".into(), fmt),
            fmt(s.truth),
            s.reporting.map_or("-".into(), |x| x.to_string())
        ));
    }
    body.push_str("</tbody></table>");
    body.push_str(&downloads(r.id, "slots"));
    body.push_str(
        "</section><section id=\"ledger\"><h2>Privacy ledger</h2><table><thead><tr>\
<th>slots</th><th>mean worst ε</th><th>max worst ε</th></tr></thead><tbody>",
    );
    if let Some(rows) = run.report.get("privacy_ledger").and_then(Value::as_array) {
        for l in rows {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                l.get("slots").unwrap_or(&Value::Null),
                l.get("mean_worst_epsilon")
                    .and_then(Value::as_f64)
                    .map_or("-".into(), |x| format!("{x:.4}")),
                l.get("max_worst_epsilon")
                    .and_then(Value::as_f64)
                    .map_or("-".into(), |x| format!("{x:.4}"))
            ));
        }
    }
    body.push_str("</tbody></table>");
    body.push_str(&downloads(r.id, "ledger"));
    body.push_str("</section>");
    json!({"kind": "dream", "id": r.id, "slots": run.slots})
}

fn query(r: &RunRecord, body: &mut String) -> Value {
    let run = &r.run;
    body.push_str(
        "<section id=\"answers\"><h2>Answers beside the truth</h2><table><thead><tr>\
<th>query</th><th>window</th><th>latency</th><th>answer</th><th>truth (live meters)</th>\
<th>groups agreeing</th></tr></thead><tbody>",
    );
    for a in &run.answers {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:.1} ms</td><td>{}</td><td>{}</td><td>{}/{}</td></tr>",
            a.number,
            a.window,
            a.latency_ms,
            escape(&a.answer.get("partial").unwrap_or(&Value::Null).to_string()),
            escape(&a.truth.to_string()),
            a.answer.get("groups_agreeing").unwrap_or(&Value::Null),
            a.answer.get("groups_heard").unwrap_or(&Value::Null)
        ));
    }
    body.push_str("</tbody></table><div class=\"chart\" id=\"latency-chart\"></div>");
    body.push_str(&downloads(r.id, "answers"));
    body.push_str("</section>");
    json!({"kind": "query", "id": r.id, "answers": run.answers})
}

/// Whether chart `chart` exists for this kind (for the download routes).
pub fn has_chart(kind: Kind, chart: &str) -> bool {
    charts(kind).contains(&chart)
}

/// Chart `chart` of `r` as CSV.
pub fn csv(r: &RunRecord, chart: &str) -> Option<String> {
    chart_csv(&r.run, chart)
}
