//! The routes, and serving them.
//!
//! * `/` — the runs and the scenario picker; `/run?id=N` goes to run N;
//! * `/run/{id}?iter=I&w=START,LEN` — a run's page (the slider's iteration
//!   and Bob's window are in the URL);
//! * `/api/run/{id}` — the run as JSON; `/api/run/{id}/{chart}.csv|.json` —
//!   one chart's data;
//! * `/assets/…` — the script, the style, the vendored uPlot.
//!
//! The store is opened read-only for each request: a store written while
//! the dashboard runs shows its new runs on reload. A corrupt or foreign
//! file, an unknown run or a malformed parameter is a clear page with a
//! 4xx or 5xx status, never a panic.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use sfumato_results::{ResultsError, Store};

use crate::assets;
use crate::views::{self, ViewState};

#[derive(Clone)]
struct App {
    store: Arc<PathBuf>,
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

fn fail(e: ResultsError) -> Response {
    match e {
        ResultsError::UnknownRun(id) => page(
            StatusCode::NOT_FOUND,
            views::error(
                "No such run",
                &format!("There is no run {id} in the store."),
            ),
        ),
        other => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            views::error("The results store cannot be read", &other.to_string()),
        ),
    }
}

fn bad(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        views::error("Bad request", message),
    )
}

async fn with_store<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&Store) -> Result<T, ResultsError> + Send + 'static,
) -> Result<T, Response> {
    let path = app.store.clone();
    tokio::task::spawn_blocking(move || {
        let store = Store::open_read_only(&path)?;
        f(&store)
    })
    .await
    .map_err(|_| {
        page(
            StatusCode::INTERNAL_SERVER_ERROR,
            views::error("Internal error", "the request's worker stopped"),
        )
    })?
    .map_err(fail)
}

async fn index(State(app): State<App>) -> Response {
    let name = app.store.display().to_string();
    match with_store(&app, |s| s.runs()).await {
        Ok(runs) => page(StatusCode::OK, views::index(&runs, &name)),
        Err(r) => r,
    }
}

async fn pick(Query(q): Query<HashMap<String, String>>) -> Response {
    match q.get("id").map(|s| s.trim().parse::<i64>()) {
        Some(Ok(id)) => Redirect::to(&format!("/run/{id}")).into_response(),
        _ => bad("choose a run: /run?id=N, with N a run's number"),
    }
}

fn parse_id(id: &str) -> Result<i64, Response> {
    id.parse::<i64>()
        .map_err(|_| bad(&format!("`{id}` is not a run number")))
}

fn state(q: &HashMap<String, String>) -> Result<ViewState, Response> {
    let iter = match q.get("iter") {
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| bad("iter must be a whole number (the iteration, from 0)"))?,
        None => 0,
    };
    let window = match q.get("w") {
        Some(v) => {
            let parts: Vec<&str> = v.split(',').collect();
            match parts.as_slice() {
                [a, b] => match (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
                    (Ok(a), Ok(b)) if b >= 1 => (a, b),
                    _ => return Err(bad("w must be START,LENGTH in slots, LENGTH at least 1")),
                },
                _ => return Err(bad("w must be START,LENGTH in slots")),
            }
        }
        None => (8, 6),
    };
    Ok(ViewState { iter, window })
}

async fn run(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let st = match state(&q) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match with_store(&app, move |s| Ok((s.run(id)?, s.runs()?))).await {
        Ok((r, runs)) => page(StatusCode::OK, views::run_page(&r, &runs, st)),
        Err(r) => r,
    }
}

async fn api_run(State(app): State<App>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match with_store(&app, move |s| s.run(id)).await {
        Ok(r) => axum::Json(r).into_response(),
        Err(r) => r,
    }
}

async fn api_chart(State(app): State<App>, Path((id, file)): Path<(String, String)>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Some((chart, ext)) = file.rsplit_once('.') else {
        return bad("ask for CHART.csv or CHART.json");
    };
    let (chart, ext) = (chart.to_string(), ext.to_string());
    let r = match with_store(&app, move |s| s.run(id)).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if !views::has_chart(r.run.kind, &chart) {
        return page(
            StatusCode::NOT_FOUND,
            views::error(
                "No such chart",
                &format!("a {} run has no chart `{chart}`", r.run.kind.name()),
            ),
        );
    }
    match ext.as_str() {
        "csv" => match views::csv(&r, &chart) {
            Some(text) => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"run-{id}-{chart}.csv\""),
                    ),
                ],
                text,
            )
                .into_response(),
            None => bad("this run holds no data for that chart"),
        },
        "json" => match crate::data::chart_json(&r.run, &chart) {
            Some(v) => axum::Json(v).into_response(),
            None => bad("this run holds no data for that chart"),
        },
        _ => bad("ask for CHART.csv or CHART.json"),
    }
}

async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind): (&'static [u8], &str) = match name.as_str() {
        "uPlot.iife.min.js" => (assets::UPLOT_JS, "text/javascript; charset=utf-8"),
        "uPlot.min.css" => (assets::UPLOT_CSS, "text/css; charset=utf-8"),
        "app.js" => (assets::APP_JS.as_bytes(), "text/javascript; charset=utf-8"),
        "app.css" => (assets::APP_CSS.as_bytes(), "text/css; charset=utf-8"),
        _ => {
            return page(
                StatusCode::NOT_FOUND,
                views::error("Not found", "no such asset"),
            );
        }
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        views::error("Not found", "no such page"),
    )
}

/// The dashboard's routes over the store at `store`.
pub fn router(store: PathBuf) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/run", get(pick))
        .route("/run/{id}", get(run))
        .route("/api/run/{id}", get(api_run))
        .route("/api/run/{id}/{file}", get(api_chart))
        .route("/assets/{name}", get(asset))
        .fallback(not_found)
        .with_state(App {
            store: Arc::new(store),
        })
}

/// Serves the dashboard of `store` on `addr` until the process ends;
/// `ready` gets the address actually bound (port 0 picks a free one).
pub async fn serve(
    addr: SocketAddr,
    store: PathBuf,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, router(store)).await
}
