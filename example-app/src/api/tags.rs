//! `/tags`: `name` is unique (409 on a duplicate). Deleting a tag detaches
//! it from its products (`ON DELETE CASCADE` in revision b7c8d9e0f1a2).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{AppState, Page, created};
use crate::error::ApiError;
use crate::id::new_id;
use crate::model::{Tag, TagBody};
use crate::on_db;

fn name_taken(name: &str) -> impl FnOnce() -> String {
    let name = name.to_owned();
    move || format!("a tag named `{name}` already exists")
}

pub async fn list(
    State(state): State<AppState>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Vec<Tag>>, ApiError> {
    let (limit, offset) = Page::parse(page)?;
    let rows = on_db!(&state.db, pool => {
        sqlx::query_as::<_, Tag>("SELECT id, name FROM tags ORDER BY name, id LIMIT $1 OFFSET $2")
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
    });
    Ok(Json(rows))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Tag>, ApiError> {
    find(&state, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("tag", &id))
}

pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<TagBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let name = body.validate()?;
    let id = new_id();
    let result = on_db!(&state.db, pool => {
        sqlx::query_as::<_, Tag>("INSERT INTO tags (id, name) VALUES ($1, $2) RETURNING id, name")
            .bind(&id)
            .bind(&name)
            .fetch_one(pool)
            .await
    });
    let tag = result.map_err(|e| ApiError::from_db(e, name_taken(&name)))?;
    Ok(created(format!("/tags/{id}"), tag))
}

/// `PUT` and `PATCH` (a tag has one field): renames.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<TagBody>, JsonRejection>,
) -> Result<Json<Tag>, ApiError> {
    let Json(body) = body?;
    let name = body.validate()?;
    let result = on_db!(&state.db, pool => {
        sqlx::query_as::<_, Tag>("UPDATE tags SET name = $2 WHERE id = $1 RETURNING id, name")
            .bind(&id)
            .bind(&name)
            .fetch_optional(pool)
            .await
    });
    result
        .map_err(|e| ApiError::from_db(e, name_taken(&name)))?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("tag", &id))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let deleted = on_db!(&state.db, pool => {
        sqlx::query("DELETE FROM tags WHERE id = $1")
            .bind(&id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if deleted == 0 {
        return Err(ApiError::not_found("tag", &id));
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn find(state: &AppState, id: &str) -> Result<Option<Tag>, ApiError> {
    Ok(on_db!(&state.db, pool => {
        sqlx::query_as::<_, Tag>("SELECT id, name FROM tags WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
    }))
}
