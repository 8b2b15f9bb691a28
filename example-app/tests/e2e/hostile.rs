//! Requests an honest client does not send: control characters in fields
//! and paths, and requests sent by half.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::app::App;
use crate::http::Client;

/// Asserts a 400 whose JSON names `field` and the control character.
#[track_caller]
fn assert_refused(response: &crate::http::Response, field: &str, character: &str) {
    let body = response.expect_error(400, "bad_request");
    let problem = body["fields"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no `{field}` in the fields: {body}"));
    assert!(
        problem.contains(&format!("control character {character}")),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{field}: ")), "{body}");
}

/// NUL in every kind of field and in the path: 400 naming the field, on
/// either database; the e-mail uniqueness check cannot be bypassed with it.
pub fn control_characters_are_refused(client: &Client) {
    let ann = client
        .post("/users", &json!({"email": "ann@x.org", "username": "ann"}))
        .expect(201);
    let ann_id = ann["id"].as_str().unwrap().to_owned();
    // The same address with a NUL after it: refused, not a second user.
    for email in ["ann@x.org\u{0}", "ann@x.org\u{0}evil", "\u{0}ann@x.org"] {
        let response = client.post("/users", &json!({"email": email, "username": "ann2"}));
        assert_refused(&response, "email", "U+0000 (NUL)");
    }
    let users = client.get("/users").expect(200);
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");

    // Every field that reports it is named.
    let response = client.post(
        "/users",
        &json!({"email": "bob\u{0}@x.org", "username": "bob", "display_name": "B\u{0}b"}),
    );
    let body = response.expect_error(400, "bad_request");
    assert_eq!(
        body["fields"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["display_name", "email"],
        "{body}"
    );
    assert_refused(
        &client.patch(
            &format!("/users/{ann_id}"),
            &json!({"display_name": "\u{1b}[2J"}),
        ),
        "display_name",
        "U+001B (escape)",
    );
    assert_refused(
        &client.put(
            &format!("/users/{ann_id}"),
            &json!({"email": "ann@x.org", "username": "a\u{0}", "display_name": "Ann"}),
        ),
        "username",
        "U+0000 (NUL)",
    );

    assert_refused(
        &client.post("/products", &json!({"name": "Lamp\u{0}", "price": 10})),
        "name",
        "U+0000 (NUL)",
    );
    assert_refused(
        &client.post(
            "/products",
            &json!({"name": "Lamp", "description": "bright\u{0}", "price": 10}),
        ),
        "description",
        "U+0000 (NUL)",
    );
    assert_refused(
        &client.post("/products", &json!({"name": "La\nmp", "price": 10})),
        "name",
        "U+000A (line feed)",
    );
    // A description keeps its lines and tabs.
    let lamp = client
        .post(
            "/products",
            &json!({"name": "Lamp", "description": "bright\n\twarm", "price": 10}),
        )
        .expect(201);
    assert_eq!(lamp["description"], "bright\n\twarm");
    assert_refused(
        &client.post("/tags", &json!({"name": "\u{0}"})),
        "name",
        "U+0000 (NUL)",
    );

    // In the path, percent-encoded.
    for path in [
        "/users/%00",
        "/products/abc%00def",
        "/tags/%00",
        "/products/%00/tags",
    ] {
        assert_refused(&client.get(path), "path", "U+0000 (NUL)");
    }
    assert_refused(&client.delete("/users/%00"), "path", "U+0000 (NUL)");

    // Nothing of it reached the database.
    let products = client.get("/products").expect(200);
    assert_eq!(products.as_array().map(Vec::len), Some(1), "{products}");
    assert_eq!(client.get("/tags").expect(200), Value::Array(Vec::new()));
}

/// How long the server is given to close a half-sent request's connection,
/// beyond its timeout (the machine may be busy).
const SLACK: Duration = Duration::from_secs(5);

/// Sends `bytes` and waits for the server to close the connection; returns
/// what it answered and when the connection was closed.
fn send_half(client: &Client, bytes: &[u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(client.addr).unwrap();
    stream.write_all(bytes).unwrap();
    stream
        .set_read_timeout(Some(crate::TIMEOUTS + SLACK))
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the connection was still open {:?} after half a request ({e}); answer so far: {:?}",
                started.elapsed(),
                String::from_utf8_lossy(&answer)
            ),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// Nothing, half the headers, then half a body: each connection is closed
/// within its timeout (`HTTP_HEADER_TIMEOUT`, `HTTP_REQUEST_TIMEOUT`).
pub fn half_sent_requests_are_closed(app: &mut App, backend: &str) {
    let server = app.start(&["--port", "0"]);
    let client = server.client;

    // A connection that sends nothing at all.
    let (answer, took) = send_half(&client, b"");
    assert!(took < crate::TIMEOUTS + SLACK, "closed after {took:?}");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );

    let (answer, took) = send_half(
        &client,
        b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
    );
    assert!(took < crate::TIMEOUTS + SLACK, "closed after {took:?}");
    // Nothing is answered to a request that never got its headers (hyper
    // may say 408 first).
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );

    let (answer, took) = send_half(
        &client,
        b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\": \"a",
    );
    assert!(took < crate::TIMEOUTS + SLACK, "closed after {took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(
        answer.contains("\"error\":\"request_timeout\""),
        "{answer:?}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer:?}"
    );

    // Whole requests still work, on a server that kept running.
    crate::api::health_and_db_test(&client, backend);
    let stopped = app.stop(server);
    stopped.expect_success();
    assert!(
        stopped.stderr.contains("status=408"),
        "the 408 is logged: {}",
        stopped.stderr
    );
}
