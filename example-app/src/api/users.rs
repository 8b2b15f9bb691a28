//! `/users`: `email` is unique (409 on a second user with the same address,
//! compared case-insensitively); `display_name` defaults to the username,
//! as revision e1f2a3b4c5d6 backfilled it for existing users.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{AppState, Page, created};
use crate::error::ApiError;
use crate::id::new_id;
use crate::model::{User, UserBody, UserChanges, UserPatch};
use crate::on_db;

const SELECT: &str = "SELECT id, email, username, display_name FROM users";
const RETURNING: &str = "RETURNING id, email, username, display_name";

fn email_taken(email: Option<&str>) -> impl FnOnce() -> String {
    let email = email.unwrap_or_default().to_owned();
    move || format!("a user with email `{email}` already exists")
}

pub async fn list(
    State(state): State<AppState>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Vec<User>>, ApiError> {
    let (limit, offset) = Page::parse(page)?;
    let sql = format!("{SELECT} ORDER BY username, id LIMIT $1 OFFSET $2");
    let rows = on_db!(&state.db, pool => {
        sqlx::query_as::<_, User>(&sql).bind(limit).bind(offset).fetch_all(pool).await?
    });
    Ok(Json(rows))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let sql = format!("{SELECT} WHERE id = $1");
    let user = on_db!(&state.db, pool => {
        sqlx::query_as::<_, User>(&sql).bind(&id).fetch_optional(pool).await?
    });
    user.map(Json)
        .ok_or_else(|| ApiError::not_found("user", &id))
}

pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<UserBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let fields = body.validate()?;
    let id = new_id();
    let sql = format!(
        "INSERT INTO users (id, email, username, display_name) VALUES ($1, $2, $3, $4) {RETURNING}"
    );
    let result = on_db!(&state.db, pool => {
        sqlx::query_as::<_, User>(&sql)
            .bind(&id)
            .bind(&fields.email)
            .bind(&fields.username)
            .bind(fields.display_name.clone().flatten())
            .fetch_one(pool)
            .await
    });
    let user = result.map_err(|e| ApiError::from_db(e, email_taken(fields.email.as_deref())))?;
    Ok(created(format!("/users/{id}"), user))
}

/// `PUT`: every field replaced; without `display_name`, the username.
pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UserBody>, JsonRejection>,
) -> Result<Json<User>, ApiError> {
    let Json(body) = body?;
    write(&state, &id, body.validate()?).await
}

/// `PATCH`: only the fields in the body change.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UserPatch>, JsonRejection>,
) -> Result<Json<User>, ApiError> {
    let Json(body) = body?;
    write(&state, &id, body.validate()?).await
}

async fn write(state: &AppState, id: &str, changes: UserChanges) -> Result<Json<User>, ApiError> {
    let sql = format!(
        "UPDATE users SET \
           email = COALESCE($2, email), \
           username = COALESCE($3, username), \
           display_name = CASE WHEN $4 THEN $5 ELSE display_name END \
         WHERE id = $1 {RETURNING}"
    );
    let set_display_name = changes.display_name.is_some();
    let result = on_db!(&state.db, pool => {
        sqlx::query_as::<_, User>(&sql)
            .bind(id)
            .bind(&changes.email)
            .bind(&changes.username)
            .bind(set_display_name)
            .bind(changes.display_name.clone().flatten())
            .fetch_optional(pool)
            .await
    });
    result
        .map_err(|e| ApiError::from_db(e, email_taken(changes.email.as_deref())))?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user", id))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let deleted = on_db!(&state.db, pool => {
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(&id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if deleted == 0 {
        return Err(ApiError::not_found("user", &id));
    }
    Ok(StatusCode::NO_CONTENT)
}
