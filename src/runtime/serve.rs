//! The HTTP intake: `POST /events`, `GET /runs`, `GET /runs/{id}`, `GET /healthz`.
//!
//! An event is answered 202 only once it is committed with its executions; delivery
//! continues in the background. On shutdown the server stops taking requests, the
//! engine lets attempts in flight finish, and every result is committed.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::intake::Intake;
use super::store::{ListFilter, Status};
use super::Runtime;
use crate::vm::split_events;

/// What the handlers share.
pub struct AppState {
    pub intake: Intake,
    pub runtime: Runtime,
}

/// The intake and run log routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/events", post(post_events))
        .route("/runs", get(list_runs))
        .route("/runs/{id}", get(show_run))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then stops the runtime without losing anything.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    axum::serve(listener, router(state.clone()))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| format!("server error: {e}"))?;
    // Connections may still hold the state for a moment: stop through a reference.
    state.runtime.shutdown().await.map_err(|e| e.0)?;
    Ok(())
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn post_events(State(state): State<Arc<AppState>>, body: String) -> Response {
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    let mut batch = Vec::new();
    for (line, text) in split_events(&body) {
        match state.intake.event(text) {
            Ok(ev) => {
                accepted.push(ev.id.clone());
                batch.push(ev);
            }
            Err(e) => rejected.push(json!({"line": line, "error": e.to_string()})),
        }
    }
    if let Err(e) = state.runtime.submit(batch).await {
        return error(StatusCode::INTERNAL_SERVER_ERROR, &e.0);
    }
    (
        StatusCode::ACCEPTED,
        Json(json!({"accepted": accepted, "rejected": rejected})),
    )
        .into_response()
}

/// Query of `GET /runs`.
#[derive(Debug, Deserialize)]
struct RunsQuery {
    rule: Option<String>,
    status: Option<String>,
    case: Option<String>,
    limit: Option<usize>,
}

async fn list_runs(State(state): State<Arc<AppState>>, Query(q): Query<RunsQuery>) -> Response {
    let status = match q.status.as_deref().map(Status::parse) {
        Some(None) => return error(StatusCode::BAD_REQUEST, "unknown status"),
        Some(s) => s,
        None => None,
    };
    let filter = ListFilter {
        rule: q.rule,
        status,
        case: q.case,
        limit: q.limit,
    };
    match state.runtime.read(move |s| s.list(&filter)).await {
        Ok(rows) => {
            // JSON lines, as `runs list --format json`.
            let mut text = String::new();
            for r in rows {
                text.push_str(&serde_json::to_string(&r).unwrap_or_default());
                text.push('\n');
            }
            ([(header::CONTENT_TYPE, "application/x-ndjson")], text).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.0),
    }
}

async fn show_run(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let wanted = id.clone();
    match state.runtime.read(move |s| s.show(&wanted)).await {
        Ok(Some(detail)) => Json(detail).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no execution `{id}`")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.0),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}
