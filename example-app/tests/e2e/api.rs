//! The API scenario every backend runs: real requests against the real
//! binary, covering each status the API promises.

use serde_json::{Value, json};

use crate::HEAD;
use crate::http::Client;

/// Health, `/db-test`, and create/list/get/update/delete with the 400, 404,
/// 409, 415 and 422 answers, for products, users and tags.
pub fn exercise(client: &Client, backend: &str) {
    health_and_db_test(client, backend);
    products(client);
    users(client);
    tags(client);
    routing(client);
}

pub fn health_and_db_test(client: &Client, backend: &str) {
    assert_eq!(client.get("/health").expect(200), json!({"status": "ok"}));
    let status = client.get("/db-test").expect(200);
    assert_eq!(status["database"], "reachable", "{status}");
    assert_eq!(status["backend"], backend, "{status}");
    assert_eq!(status["current"], json!([HEAD]), "{status}");
    assert_eq!(status["head"], json!([HEAD]), "{status}");
    assert_eq!(status["pending"], 0, "{status}");
}

fn is_id(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn products(client: &Client) {
    // Create: 201, a generated id, the Location, the price as given.
    let response = client.post(
        "/products",
        &json!({"name": "Widget", "description": "blue", "price": 19.99, "quantity": 3}),
    );
    let widget = response.expect(201);
    assert!(is_id(&widget["id"]), "{widget}");
    let id = widget["id"].as_str().unwrap().to_owned();
    assert_eq!(
        response.header("location"),
        Some(format!("/products/{id}").as_str())
    );
    assert_eq!(
        widget,
        json!({"id": id, "name": "Widget", "description": "blue", "price": 19.99, "quantity": 3, "slug": "widget"})
    );
    // A string price, the largest NUMERIC(10, 2), defaults for the rest.
    let gadget = client
        .post(
            "/products",
            &json!({"name": "Gadget", "price": "99999999.99"}),
        )
        .expect(201);
    assert_eq!(gadget["price"], json!(99_999_999.99), "{gadget}");
    assert_eq!(gadget["quantity"], 0);
    assert_eq!(gadget["description"], Value::Null);
    let gadget_id = gadget["id"].as_str().unwrap().to_owned();

    // List (by name) and get.
    let list = client.get("/products").expect(200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Gadget", "Widget"]);
    assert_eq!(
        client.get("/products?limit=1&offset=1").expect(200)[0]["name"],
        "Widget"
    );
    assert_eq!(client.get(&format!("/products/{id}")).expect(200), widget);

    // PATCH changes only what it names; null clears the description.
    let patched = client
        .patch(
            &format!("/products/{id}"),
            &json!({"price": 5.5, "description": null}),
        )
        .expect(200);
    assert_eq!(
        patched,
        json!({"id": id, "name": "Widget", "description": null, "price": 5.5, "quantity": 3, "slug": "widget"})
    );
    // PUT replaces everything.
    let replaced = client
        .put(
            &format!("/products/{id}"),
            &json!({"name": "Widget XL", "price": 0.1}),
        )
        .expect(200);
    assert_eq!(
        replaced,
        json!({"id": id, "name": "Widget XL", "description": null, "price": 0.1, "quantity": 0, "slug": "widget-xl"})
    );
    assert_eq!(client.get(&format!("/products/{id}")).expect(200), replaced);

    // Validation: every bad field named, 422; nothing written.
    let invalid = client
        .post(
            "/products",
            &json!({"name": " ", "price": 1.234, "quantity": -1}),
        )
        .expect_error(422, "validation_failed");
    for field in ["name", "price", "quantity"] {
        assert!(invalid["fields"][field].is_string(), "{invalid}");
    }
    client
        .post("/products", &json!({"name": "x", "price": -1}))
        .expect_error(422, "validation_failed");
    client
        .post("/products", &json!({"name": "x", "price": 100_000_000}))
        .expect_error(422, "validation_failed");
    // Missing or misspelt fields and wrong types are 422 as well.
    client
        .post("/products", &json!({"name": "x"}))
        .expect_error(422, "validation_failed");
    client
        .post("/products", &json!({"name": "x", "price": 1, "prize": 2}))
        .expect_error(422, "validation_failed");
    client
        .post(
            "/products",
            &json!({"name": "x", "price": 1, "quantity": "many"}),
        )
        .expect_error(422, "validation_failed");
    // `null` only clears what may be NULL.
    client
        .patch(&format!("/products/{id}"), &json!({"price": null}))
        .expect_error(422, "validation_failed");
    // Not JSON: 400; not declared as JSON: 415.
    client
        .raw(
            "POST",
            "/products",
            &[("Content-Type", "application/json")],
            b"{\"name\": ",
        )
        .expect_error(400, "bad_request");
    client
        .raw("POST", "/products", &[], br#"{"name": "x", "price": 1}"#)
        .expect_error(415, "unsupported_media_type");
    assert_eq!(client.get("/products").json().as_array().unwrap().len(), 2);

    // Not found.
    client
        .get("/products/0000000000000000")
        .expect_error(404, "not_found");
    client
        .patch("/products/0000000000000000", &json!({"name": "y"}))
        .expect_error(404, "not_found");
    client
        .put(
            "/products/0000000000000000",
            &json!({"name": "y", "price": 1}),
        )
        .expect_error(404, "not_found");
    client
        .delete("/products/0000000000000000")
        .expect_error(404, "not_found");

    // Delete: 204, then gone.
    client.delete(&format!("/products/{gadget_id}")).expect(204);
    client
        .get(&format!("/products/{gadget_id}"))
        .expect_error(404, "not_found");
    client
        .delete(&format!("/products/{gadget_id}"))
        .expect_error(404, "not_found");
}

fn users(client: &Client) {
    let ann = client
        .post(
            "/users",
            &json!({"email": " Ann@Example.org ", "username": "ann"}),
        )
        .expect(201);
    assert!(is_id(&ann["id"]), "{ann}");
    // Stored lowercase; shown as the username until set (the backfill's rule).
    assert_eq!(ann["email"], "ann@example.org");
    assert_eq!(ann["display_name"], "ann");
    let ann_id = ann["id"].as_str().unwrap().to_owned();

    // The unique email: 409, whatever the case.
    let conflict = client
        .post(
            "/users",
            &json!({"email": "ANN@example.org", "username": "ann2"}),
        )
        .expect_error(409, "conflict");
    assert!(
        conflict["message"]
            .as_str()
            .unwrap()
            .contains("ann@example.org"),
        "{conflict}"
    );

    let bob = client
        .post(
            "/users",
            &json!({"email": "bob@example.org", "username": "bob", "display_name": "Bob B."}),
        )
        .expect(201);
    let bob_id = bob["id"].as_str().unwrap().to_owned();
    assert_eq!(bob["display_name"], "Bob B.");
    // Taking Ann's address by PATCH is a conflict too, and changes nothing.
    client
        .patch(
            &format!("/users/{bob_id}"),
            &json!({"email": "ann@example.org"}),
        )
        .expect_error(409, "conflict");
    assert_eq!(client.get(&format!("/users/{bob_id}")).expect(200), bob);

    let renamed = client
        .patch(
            &format!("/users/{bob_id}"),
            &json!({"display_name": "Robert"}),
        )
        .expect(200);
    assert_eq!(renamed["display_name"], "Robert");
    assert_eq!(renamed["email"], "bob@example.org");
    let replaced = client
        .put(
            &format!("/users/{bob_id}"),
            &json!({"email": "rob@example.org", "username": "rob"}),
        )
        .expect(200);
    assert_eq!(
        replaced,
        json!({"id": bob_id, "email": "rob@example.org", "username": "rob", "display_name": "rob"})
    );

    let invalid = client
        .post(
            "/users",
            &json!({"email": "not-an-address", "username": "has space"}),
        )
        .expect_error(422, "validation_failed");
    assert!(invalid["fields"]["email"].is_string(), "{invalid}");
    assert!(invalid["fields"]["username"].is_string(), "{invalid}");

    let list = client.get("/users").expect(200);
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");

    client.delete(&format!("/users/{ann_id}")).expect(204);
    client
        .get(&format!("/users/{ann_id}"))
        .expect_error(404, "not_found");
    // Ann's address is free again.
    client
        .post(
            "/users",
            &json!({"email": "ann@example.org", "username": "ann"}),
        )
        .expect(201);
}

fn tags(client: &Client) {
    let sale = client.post("/tags", &json!({"name": "sale"})).expect(201);
    let sale_id = sale["id"].as_str().unwrap().to_owned();
    client
        .post("/tags", &json!({"name": "sale"}))
        .expect_error(409, "conflict");
    let new = client.post("/tags", &json!({"name": "new"})).expect(201);
    let new_id = new["id"].as_str().unwrap().to_owned();
    // Renaming onto an existing name: 409.
    client
        .put(&format!("/tags/{new_id}"), &json!({"name": "sale"}))
        .expect_error(409, "conflict");
    let fresh = client
        .patch(&format!("/tags/{new_id}"), &json!({"name": "fresh"}))
        .expect(200);
    assert_eq!(fresh, json!({"id": new_id, "name": "fresh"}));
    client
        .post("/tags", &json!({"name": ""}))
        .expect_error(422, "validation_failed");
    let names: Vec<String> = client
        .get("/tags")
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["fresh", "sale"]);

    // Tagging a product (the product_tags table, with its foreign keys).
    let product = client
        .post("/products", &json!({"name": "Lamp", "price": 30}))
        .expect(201);
    let product_id = product["id"].as_str().unwrap();
    let link = format!("/products/{product_id}/tags/{sale_id}");
    client.put(&link, &json!({})).expect(204);
    client.put(&link, &json!({})).expect(204); // idempotent
    client
        .put(
            &format!("/products/{product_id}/tags/0000000000000000"),
            &json!({}),
        )
        .expect_error(404, "not_found");
    client
        .put(
            &format!("/products/0000000000000000/tags/{sale_id}"),
            &json!({}),
        )
        .expect_error(404, "not_found");
    assert_eq!(
        client
            .get(&format!("/products/{product_id}/tags"))
            .expect(200),
        json!([sale])
    );
    client.delete(&link).expect(204);
    client.delete(&link).expect_error(404, "not_found");
    // Deleting a tag detaches it (ON DELETE CASCADE, on both databases).
    client.put(&link, &json!({})).expect(204);
    client.delete(&format!("/tags/{sale_id}")).expect(204);
    client
        .get(&format!("/tags/{sale_id}"))
        .expect_error(404, "not_found");
    assert_eq!(
        client
            .get(&format!("/products/{product_id}/tags"))
            .expect(200),
        json!([])
    );
}

fn routing(client: &Client) {
    client.get("/nothing-here").expect_error(404, "not_found");
    let response = client.delete("/products");
    response.expect_error(405, "method_not_allowed");
    assert_eq!(response.header("allow"), Some("GET,HEAD,POST"));
    client
        .get("/products?limit=0")
        .expect_error(400, "bad_request");
    client
        .get("/products?limit=many")
        .expect_error(400, "bad_request");
}

/// After `downgrade base` + `upgrade head` the tables are new and empty, and
/// the data path works again.
pub fn works_after_rebuild(client: &Client, backend: &str) {
    health_and_db_test(client, backend);
    for table in ["products", "users", "tags"] {
        assert_eq!(
            client.get(&format!("/{table}")).expect(200),
            json!([]),
            "{table}"
        );
    }
    let product = client
        .post(
            "/products",
            &json!({"name": "Again", "price": 1.5, "quantity": 2}),
        )
        .expect(201);
    let id = product["id"].as_str().unwrap();
    assert_eq!(client.get(&format!("/products/{id}")).expect(200), product);
    client
        .post(
            "/users",
            &json!({"email": "c@example.org", "username": "c"}),
        )
        .expect(201);
    client
        .post(
            "/users",
            &json!({"email": "c@example.org", "username": "d"}),
        )
        .expect_error(409, "conflict");
}
