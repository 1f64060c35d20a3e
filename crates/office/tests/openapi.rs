//! The OpenAPI document as the office serves it, walked operation by operation: every route is in
//! it, every parameter is declared where it travels, every operation says who may call it and
//! every answer it can give in the API's error format.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

mod common;

use common::office;

/// The routes `api::router` serves, from its own table: (path under `/api/v1`, methods).
fn routes_in_router() -> BTreeMap<String, BTreeSet<String>> {
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in liaison_office::api::api_routes() {
        routes
            .entry(entry.path.to_owned())
            .or_default()
            .insert(entry.method.as_str().to_ascii_lowercase());
    }
    routes
}

/// `{name}`s of a path template.
fn template_names(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// A `$ref` resolved in the document (one level, as the document uses them).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("{r} does not resolve"))
        }
        None => v,
    }
}

/// Whether a schema is the error body `{code, message}`: itself, by including it (`allOf`), or
/// in each of its alternatives (`anyOf`, `oneOf`).
fn is_error(doc: &Value, schema: &Value) -> bool {
    let props = &schema["properties"];
    let alternatives = |key: &str| {
        schema[key].as_array().is_some_and(|all| {
            !all.is_empty() && all.iter().all(|s| is_error(doc, resolve(doc, s)))
        })
    };
    (!props["code"].is_null() && !props["message"].is_null())
        || schema["allOf"]
            .as_array()
            .is_some_and(|all| all.iter().any(|s| is_error(doc, resolve(doc, s))))
        || alternatives("anyOf")
        || alternatives("oneOf")
}

const PUBLIC: [(&str, &str); 3] = [
    ("post", "/api/v1/sessions"),
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/handovers/redeem"),
];

/// What is wrong with the document, one line per problem.
fn problems(doc: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let paths = doc["paths"].as_object().expect("paths");
    // Every route of the router is documented with its methods, and nothing else is.
    let routes = routes_in_router();
    assert!(routes.len() >= 30, "read only {} routes", routes.len());
    let documented: BTreeMap<String, BTreeSet<String>> = paths
        .iter()
        .map(|(path, item)| {
            let methods = ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(str::to_owned)
                .collect();
            (path.trim_start_matches("/api/v1").to_owned(), methods)
        })
        .collect();
    for (path, methods) in &routes {
        match documented.get(path) {
            None => found.push(format!("{path}: served but not documented")),
            Some(d) if d != methods => {
                found.push(format!("{path}: serves {methods:?}, documents {d:?}"))
            }
            Some(_) => {}
        }
    }
    for path in documented.keys().filter(|p| !routes.contains_key(*p)) {
        found.push(format!("{path}: documented but not served"));
    }

    let mut operation_ids = BTreeSet::new();
    for (path, item) in paths {
        let in_template = template_names(path);
        for (method, op) in item.as_object().expect("path item") {
            let at = format!("{} {path}", method.to_uppercase());
            if let Some(id) = op["operationId"].as_str()
                && !operation_ids.insert(id)
            {
                found.push(format!("{at}: operationId `{id}` is not unique"));
            }
            let params: Vec<&Value> = item["parameters"]
                .as_array()
                .into_iter()
                .chain(op["parameters"].as_array())
                .flatten()
                .map(|p| resolve(doc, p))
                .collect();
            // Path parameters: exactly the template's, each required.
            let mut declared = BTreeSet::new();
            for p in &params {
                let (name, place) = (p["name"].as_str().unwrap_or("?"), p["in"].as_str());
                if place == Some("path") {
                    if !in_template.contains(name) {
                        found.push(format!(
                            "{at}: `{name}` is declared in the path but is not in it (a query parameter?)"
                        ));
                    }
                    if p["required"] != Value::Bool(true) {
                        found.push(format!("{at}: path parameter `{name}` is not required"));
                    }
                    declared.insert(name.to_owned());
                }
                if p["schema"].is_null() {
                    found.push(format!("{at}: parameter `{name}` has no schema"));
                }
            }
            for name in in_template.difference(&declared) {
                found.push(format!(
                    "{at}: uses path parameter `{name}` it does not declare"
                ));
            }
            // Security: the bearer token everywhere but where a session is opened or none is
            // needed.
            let public = PUBLIC.contains(&(method.as_str(), path.as_str()));
            let security = &op["security"];
            let bearer = serde_json::json!([{"bearer": []}]);
            if public && !(security.is_null() || security == &serde_json::json!([])) {
                found.push(format!("{at}: public, but declares security {security}"));
            }
            if !public && security != &bearer {
                found.push(format!(
                    "{at}: does not declare the bearer token ({security})"
                ));
            }
            // Answers: the common ones, each error in the API's error format.
            let responses = op["responses"].as_object().expect("responses");
            let takes_params = params
                .iter()
                .any(|p| matches!(p["in"].as_str(), Some("path" | "query")));
            let json_body = !op["requestBody"]["content"]["application/json"].is_null();
            let mut needed = vec!["500"];
            if !public {
                needed.extend(["401", "429"]);
            }
            if takes_params || json_body {
                needed.push("400");
            }
            if json_body {
                needed.extend(["413", "415", "422"]);
            }
            for status in needed {
                if !responses.contains_key(status) {
                    found.push(format!("{at}: does not declare {status}"));
                }
            }
            if !responses.keys().any(|s| s.starts_with('2')) {
                found.push(format!("{at}: declares no success"));
            }
            for (status, answer) in responses {
                let answer = resolve(doc, answer);
                if answer["description"].as_str().is_none_or(str::is_empty) {
                    found.push(format!("{at}: {status} has no description"));
                }
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = resolve(doc, &answer["content"]["application/json"]["schema"]);
                    if !is_error(doc, schema) {
                        found.push(format!(
                            "{at}: {status} is not an error {{code, message}} ({schema})"
                        ));
                    }
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn the_document_declares_every_parameter_answer_and_security_of_every_route() {
    let o = office().await;
    let doc: Value = o
        .http
        .get(format!("{}/openapi.json", o.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let found = problems(&doc);
    assert!(found.is_empty(), "{}", found.join("\n"));

    // Query parameters travel in the query, as the handlers read them.
    let audit = &doc["paths"]["/api/v1/audit"]["get"]["parameters"];
    assert_eq!(audit[0]["name"], "limit");
    assert_eq!(audit[0]["in"], "query");
    assert_eq!(audit[0]["required"], false);
    // The upload takes raw bytes; downloads are binary with their headers.
    let append = &doc["paths"]["/api/v1/uploads/{sha256}"]["patch"];
    assert!(append["requestBody"]["content"]["application/offset+octet-stream"].is_object());
    let download = &doc["paths"]["/api/v1/items/{id}/files/{sha256}"]["get"]["responses"]["200"];
    assert!(download["content"]["application/pdf"].is_object());
    assert!(download["headers"]["Content-Disposition"].is_object());
}

#[test]
fn the_walk_finds_what_the_old_document_got_wrong() {
    // A query parameter declared in the path, and a path parameter never declared.
    let doc = serde_json::json!({
        "openapi": "3.1.0",
        "paths": {
            "/api/v1/audit": {"get": {
                "parameters": [{"name": "limit", "in": "path", "required": true,
                                "schema": {"type": "integer"}}],
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "ok"}}
            }},
            "/api/v1/items/{id}": {"get": {
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "ok"}}
            }}
        }
    });
    let found = problems(&doc).join("\n");
    assert!(
        found.contains("GET /api/v1/audit: `limit` is declared in the path but is not in it"),
        "{found}"
    );
    assert!(
        found.contains("GET /api/v1/items/{id}: uses path parameter `id` it does not declare"),
        "{found}"
    );
    assert!(
        found.contains("GET /api/v1/items/{id}: does not declare 401"),
        "{found}"
    );
}
