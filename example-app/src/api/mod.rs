//! The HTTP API: routes, shared state, and the answers common to all routes.
//!
//! | route | methods |
//! |---|---|
//! | `/health` | `GET`: the process is up (no database access) |
//! | `/db-test` | `GET`: the database answers; its revision and pending count |
//! | `/products`, `/users`, `/tags` | `GET` (list, `?limit=&offset=`), `POST` (create) |
//! | `/products/{id}`, `/users/{id}`, `/tags/{id}` | `GET`, `PUT` (replace), `PATCH` (change some fields), `DELETE` |
//! | `/products/{id}/tags` | `GET`: the product's tags |
//! | `/products/{id}/tags/{tag_id}` | `PUT` (attach), `DELETE` (detach) |

mod products;
mod tags;
mod users;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::json;

use crate::db::{self, Db};
use crate::error::ApiError;
use crate::model::control_name;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
}

impl AppState {
    pub fn new(db: Db) -> AppState {
        AppState { db }
    }
}

pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/db-test", get(db_test))
        .route("/products", get(products::list).post(products::create))
        .route(
            "/products/{id}",
            get(products::get)
                .put(products::replace)
                .patch(products::update)
                .delete(products::delete),
        )
        .route("/products/{id}/tags", get(products::list_tags))
        .route(
            "/products/{id}/tags/{tag_id}",
            put(products::attach_tag).delete(products::detach_tag),
        )
        .route("/users", get(users::list).post(users::create))
        .route(
            "/users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::update)
                .delete(users::delete),
        )
        .route("/tags", get(tags::list).post(tags::create))
        .route(
            "/tags/{id}",
            get(tags::get)
                .put(tags::update)
                .patch(tags::update)
                .delete(tags::delete),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(plain_path))
        .layer(middleware::from_fn(move |request, next| {
            crate::server::within(request_timeout, request, next)
        }))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// `GET /health`: answers while the process runs, whatever the database
/// does (a liveness probe; `/db-test` is the readiness probe).
async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /db-test`: 200 with the database's revision and pending count, or
/// 503 when the database does not answer.
async fn db_test(State(state): State<AppState>) -> Response {
    match db::status(&state.db).await {
        Ok(status) => Json(status).into_response(),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "database check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "database": "unreachable",
                    "backend": state.db.backend(),
                    "error": "the database did not answer; see the server log",
                })),
            )
                .into_response()
        }
    }
}

async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {} {}; see docs/example-app.md for the API",
        request.method(),
        request.uri().path()
    ))
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Refuses a path holding a control character, percent-encoded or not
/// (`/users/%00`): its segments are ids bound into SQL, and PostgreSQL
/// refuses NUL in text with an error that would be a 500.
async fn plain_path(request: Request, next: Next) -> Response {
    match control_in_path(request.uri().path()) {
        None => next.run(request).await,
        Some(c) => {
            let problem = format!(
                "must not contain the control character {}; remove it",
                control_name(c)
            );
            ApiError::Malformed {
                message: format!("path: {problem}"),
                fields: BTreeMap::from([("path", problem)]),
            }
            .into_response()
        }
    }
}

/// The first control character of the percent-decoded path (`%` not
/// followed by two hex digits stays as it is; bytes that are not UTF-8
/// become U+FFFD).
fn control_in_path(path: &str) -> Option<char> {
    percent_decode_str(path)
        .decode_utf8_lossy()
        .chars()
        .find(|c| c.is_control())
}

/// One log line per request: method, path, status, time.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_us = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// `?limit=&offset=` of the list routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

impl Page {
    /// `(limit, offset)`, checked.
    fn parse(query: Result<Query<Page>, QueryRejection>) -> Result<(i64, i64), ApiError> {
        let Query(page) = query?;
        let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = page.offset.unwrap_or(0);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT} (got {limit})"
            )));
        }
        if offset < 0 {
            return Err(ApiError::BadRequest(format!(
                "offset must not be negative (got {offset})"
            )));
        }
        Ok((limit, offset))
    }
}

/// 201 with the new resource and its `Location`.
fn created<T: serde::Serialize>(location: String, body: T) -> Response {
    (
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_in_encoded_paths() {
        assert_eq!(control_in_path("/users/%00"), Some('\0'));
        assert_eq!(control_in_path("/users/a%0Ab"), Some('\n'));
        assert_eq!(control_in_path("/users/%c2%85"), Some('\u{85}'));
        assert_eq!(control_in_path("/users/%1b%5B2J"), Some('\u{1b}'));
        assert_eq!(control_in_path("/users/0123abcd"), None);
        assert_eq!(control_in_path("/tags/caf%C3%A9"), None);
        assert_eq!(control_in_path("/users/%"), None);
        assert_eq!(control_in_path("/users/%zz%0"), None);
    }
}
