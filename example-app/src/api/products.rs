//! `/products`: the same SQL on both databases. `$1`-style parameters work
//! in sqlx's SQLite driver too; prices go in as `CAST($n AS NUMERIC)` and
//! come out as `CAST(price AS TEXT)`, so no decimal type is needed in Rust.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{AppState, Page, created};
use crate::error::ApiError;
use crate::id::new_id;
use crate::model::{Product, ProductBody, ProductChanges, ProductPatch, Tag};
use crate::on_db;

const SELECT: &str = "SELECT id, name, description, CAST(price AS TEXT) AS price, quantity, \
                      slug FROM products";

/// `RETURNING` is in PostgreSQL and in SQLite since 3.35 (sqlx bundles a
/// later one), so a write and its read-back are one statement on both.
const RETURNING: &str =
    "RETURNING id, name, description, CAST(price AS TEXT) AS price, quantity, slug";

pub async fn list(
    State(state): State<AppState>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Vec<Product>>, ApiError> {
    let (limit, offset) = Page::parse(page)?;
    let sql = format!("{SELECT} ORDER BY name, id LIMIT $1 OFFSET $2");
    let rows = on_db!(&state.db, pool => {
        sqlx::query_as::<_, Product>(&sql).bind(limit).bind(offset).fetch_all(pool).await?
    });
    Ok(Json(rows))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Product>, ApiError> {
    find(&state, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("product", &id))
}

pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<ProductBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let fields = body.validate()?;
    let id = new_id();
    let sql = format!(
        "INSERT INTO products (id, name, description, price, quantity, slug) \
         VALUES ($1, $2, $3, CAST($4 AS NUMERIC), $5, $6) {RETURNING}"
    );
    let slug = fields.name.as_deref().map(crate::slug::of);
    let product = on_db!(&state.db, pool => {
        sqlx::query_as::<_, Product>(&sql)
            .bind(&id)
            .bind(&fields.name)
            .bind(fields.description.flatten())
            .bind(&fields.price)
            .bind(fields.quantity)
            .bind(&slug)
            .fetch_one(pool)
            .await?
    });
    Ok(created(format!("/products/{id}"), product))
}

/// `PUT`: every field replaced (an absent `description` clears it, an
/// absent `quantity` is 0), as `POST` would create it.
pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ProductBody>, JsonRejection>,
) -> Result<Json<Product>, ApiError> {
    let Json(body) = body?;
    write(&state, &id, body.validate()?).await
}

/// `PATCH`: only the fields in the body change.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ProductPatch>, JsonRejection>,
) -> Result<Json<Product>, ApiError> {
    let Json(body) = body?;
    write(&state, &id, body.validate()?).await
}

/// One `UPDATE … RETURNING`: a field left `None` keeps its value.
async fn write(
    state: &AppState,
    id: &str,
    changes: ProductChanges,
) -> Result<Json<Product>, ApiError> {
    let sql = format!(
        "UPDATE products SET \
           name = COALESCE($2, name), \
           description = CASE WHEN $3 THEN $4 ELSE description END, \
           price = COALESCE(CAST($5 AS NUMERIC), price), \
           quantity = COALESCE($6, quantity), \
           slug = COALESCE($7, slug) \
         WHERE id = $1 {RETURNING}"
    );
    let set_description = changes.description.is_some();
    let slug = changes.name.as_deref().map(crate::slug::of);
    let product = on_db!(&state.db, pool => {
        sqlx::query_as::<_, Product>(&sql)
            .bind(id)
            .bind(changes.name)
            .bind(set_description)
            .bind(changes.description.flatten())
            .bind(changes.price)
            .bind(changes.quantity)
            .bind(&slug)
            .fetch_optional(pool)
            .await?
    });
    product
        .map(Json)
        .ok_or_else(|| ApiError::not_found("product", id))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let deleted = on_db!(&state.db, pool => {
        sqlx::query("DELETE FROM products WHERE id = $1")
            .bind(&id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if deleted == 0 {
        return Err(ApiError::not_found("product", &id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /products/{id}/tags`, by name.
pub async fn list_tags(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Tag>>, ApiError> {
    if find(&state, &id).await?.is_none() {
        return Err(ApiError::not_found("product", &id));
    }
    let tags = on_db!(&state.db, pool => {
        sqlx::query_as::<_, Tag>(
            "SELECT t.id, t.name FROM tags t \
             JOIN product_tags pt ON pt.tag_id = t.id \
             WHERE pt.product_id = $1 ORDER BY t.name",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?
    });
    Ok(Json(tags))
}

/// `PUT /products/{id}/tags/{tag_id}`: attaches the tag (idempotent), 204.
pub async fn attach_tag(
    State(state): State<AppState>,
    Path((id, tag_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    // Checked first for a precise 404; the foreign keys still guard a
    // concurrent delete (answered 404 as well).
    if find(&state, &id).await?.is_none() {
        return Err(ApiError::not_found("product", &id));
    }
    if super::tags::find(&state, &tag_id).await?.is_none() {
        return Err(ApiError::not_found("tag", &tag_id));
    }
    let result = on_db!(&state.db, pool => {
        sqlx::query(
            "INSERT INTO product_tags (product_id, tag_id) VALUES ($1, $2) \
             ON CONFLICT (product_id, tag_id) DO NOTHING",
        )
        .bind(&id)
        .bind(&tag_id)
        .execute(pool)
        .await
        .map(|_| ())
    });
    match result {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Err(ApiError::NotFound(
            format!("product `{id}` or tag `{tag_id}` was just deleted"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `DELETE /products/{id}/tags/{tag_id}`: 204, or 404 when not attached.
pub async fn detach_tag(
    State(state): State<AppState>,
    Path((id, tag_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let deleted = on_db!(&state.db, pool => {
        sqlx::query("DELETE FROM product_tags WHERE product_id = $1 AND tag_id = $2")
            .bind(&id)
            .bind(&tag_id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if deleted == 0 {
        return Err(ApiError::NotFound(format!(
            "tag `{tag_id}` is not attached to product `{id}`"
        )));
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn find(state: &AppState, id: &str) -> Result<Option<Product>, ApiError> {
    let sql = format!("{SELECT} WHERE id = $1");
    Ok(on_db!(&state.db, pool => {
        sqlx::query_as::<_, Product>(&sql).bind(id).fetch_optional(pool).await?
    }))
}
