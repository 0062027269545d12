//! Holds the service against `api-spec/openapi.yaml`: every route in
//! [`casedesk::api::ROUTES`] is documented and nothing else is, the document
//! is well-formed OpenAPI 3.1, and the validators every API test's responses
//! go through (`casedesk_testkit::openapi`) catch drift.

use std::collections::{BTreeSet, HashMap, HashSet};

use casedesk_testkit::openapi::{
    documented_routes, escape_token, operations, resolve, spec, validate_request, validate_response,
    validator_for,
};
use serde_json::{json, Value};

/// Every `$ref` in `value`, with the pointer where it occurs.
fn collect_refs(value: &Value, pointer: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    if let Some(target) = child.as_str() {
                        found.push((pointer.to_owned(), target.to_owned()));
                    }
                } else {
                    collect_refs(child, &format!("{pointer}/{}", escape_token(key)), found);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(child, &format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let documented: BTreeSet<(String, String)> = documented_routes().into_iter().collect();
    let served: BTreeSet<(String, String)> = casedesk::api::ROUTES
        .iter()
        .map(|(method, template)| (method.to_ascii_uppercase(), (*template).to_owned()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    for (method, template) in &undocumented {
        println!("served but not documented: {method} {template}");
    }
    for (method, template) in &unserved {
        println!("documented but not served: {method} {template}");
    }
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "api-spec/openapi.yaml and casedesk::api::ROUTES differ: {} undocumented, {} not served \
         (listed above)",
        undocumented.len(),
        unserved.len()
    );
}

#[test]
fn spec_is_valid_openapi_3_1() {
    let spec = spec();
    let mut problems = Vec::new();

    let version = spec.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.1") {
        problems.push(format!("openapi is '{version}', not 3.1.x"));
    }
    for member in ["title", "version"] {
        if spec.pointer(&format!("/info/{member}")).and_then(Value::as_str).is_none() {
            problems.push(format!("info.{member} is missing"));
        }
    }

    let mut refs = Vec::new();
    collect_refs(spec, "", &mut refs);
    for (at, target) in &refs {
        match target.strip_prefix('#') {
            Some(pointer) if spec.pointer(pointer).is_some() => {}
            _ => problems.push(format!("{at}: $ref {target} does not resolve")),
        }
    }

    let global_security = spec.get("security");
    let schemes = spec.pointer("/components/securitySchemes").and_then(Value::as_object);
    let mut operation_ids: HashMap<String, String> = HashMap::new();
    let operations = operations();
    if operations.is_empty() {
        problems.push("no operations".into());
    }
    for (method, template, operation, pointer) in &operations {
        let name = format!("{method} {template}");
        match operation.get("operationId").and_then(Value::as_str) {
            None => problems.push(format!("{name}: no operationId")),
            Some(id) => {
                if let Some(other) = operation_ids.insert(id.to_owned(), name.clone()) {
                    problems.push(format!("{name}: operationId '{id}' is also used by {other}"));
                }
            }
        }

        let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
            problems.push(format!("{name}: no responses"));
            continue;
        };
        for key in responses.keys() {
            let valid = key == "default"
                || (key.len() == 3
                    && key.starts_with(['1', '2', '3', '4', '5'])
                    && (key[1..].chars().all(|c| c.is_ascii_digit()) || &key[1..] == "XX"));
            if !valid {
                problems.push(format!("{name}: '{key}' is not a status code"));
            }
        }
        for (key, response) in responses {
            match resolve(response, format!("{pointer}/responses/{}", escape_token(key))) {
                Ok((resolved, _)) if resolved.get("description").and_then(Value::as_str).is_none() => {
                    problems.push(format!("{name}: response {key} has no description"))
                }
                Ok(_) => {}
                Err(e) => problems.push(e),
            }
        }
        if !responses.keys().any(|key| key.starts_with('2')) {
            problems.push(format!("{name}: no 2xx response"));
        }
        let security = operation.get("security").or(global_security);
        let public = security.and_then(Value::as_array).is_some_and(|requirements| {
            requirements.is_empty()
                || requirements.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        });
        if !public && !responses.contains_key("401") {
            problems.push(format!("{name}: requires authentication but documents no 401"));
        }
        if let Some(requirements) = security.and_then(Value::as_array) {
            for requirement in requirements {
                for scheme in requirement.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !schemes.is_some_and(|s| s.contains_key(scheme)) {
                        problems.push(format!("{name}: security scheme '{scheme}' is not defined"));
                    }
                }
            }
        }

        // Every `{param}` of the template is declared as a required path parameter.
        let path_item = spec.pointer(&format!("/paths/{}", escape_token(template)));
        let declared: HashSet<String> = path_item
            .and_then(|item| item.get("parameters"))
            .into_iter()
            .chain(operation.get("parameters"))
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|parameter| resolve(parameter, pointer.clone()).ok())
            .filter(|(p, _)| p.get("in").and_then(Value::as_str) == Some("path"))
            .filter(|(p, _)| p.get("required") == Some(&Value::Bool(true)))
            .filter_map(|(p, _)| p.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        for segment in template.split('/') {
            if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if !declared.contains(param) {
                    problems.push(format!("{name}: path parameter '{param}' is not declared as required"));
                }
            }
        }
    }

    // Every shared schema is valid JSON Schema 2020-12 and compiles with its references.
    if let Some(schemas) = spec.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            let pointer = format!("/components/schemas/{}", escape_token(name));
            if let Err(e) = validator_for(schema, &pointer) {
                problems.push(e);
            }
        }
    }

    assert!(problems.is_empty(), "api-spec/openapi.yaml has problems:\n  {}", problems.join("\n  "));
}

#[test]
fn the_validator_catches_drift() {
    let mut case = json!({
        "id": 1, "tracking_no": "MB2024000001", "channel": "mailbox", "external_ref": null,
        "title": "t", "content": "c", "category": null, "citizen": null, "is_public": false,
        "received_at": "2024-06-01T10:00:00+08:00", "due_at": null, "state": "registered",
        "department_id": null, "reply": null, "replied_at": null, "closed_at": null,
        "rating": null, "result_rating": null, "rating_source": null, "rating_comment": null, "resolved": null,
        "rated_at": null, "duplicate_of": null, "reopen_count": 0, "suspended": false,
        "overdue": false, "remaining_workdays": 15, "extension_allowance_workdays": 15,
        "extended_workdays": 0, "paused_workdays": 0, "pending_extension": null,
        "supervision_count": 0, "last_supervised_at": null, "last_supervision_note": null,
        "published_at": null, "published_by": null, "callback": null, "version": 1, "created_at": "2024-06-01T10:00:00+08:00",
        "updated_at": "2024-06-01T10:00:00+08:00"
    });
    // The steps after closure (a literal this long exceeds json!'s recursion limit).
    for (field, value) in [("rectification", json!(null)), ("rating_excluded", json!(false))] {
        case[field] = value;
    }
    case["rating_excluded_at"] = json!(null);
    case["merged_into"] = json!(null);
    let bytes = |v: &Value| serde_json::to_vec(v).expect("serialises");
    let json = Some("application/json");
    let problem = Some("application/problem+json");

    validate_response("GET", "/api/v1/cases/1", 200, json, &bytes(&case)).expect("a valid case");
    validate_response(
        "GET",
        "/api/v1/cases/1?x=1",
        200,
        Some("application/json; charset=utf-8"),
        &bytes(&case),
    )
    .expect("query strings and media-type parameters are ignored");
    let mut created = case.clone();
    created["query_code"] = json!("ABCDEFGH23");
    validate_response("POST", "/api/v1/cases", 201, json, &bytes(&created)).expect("a created case");
    assert!(
        validate_response("GET", "/api/v1/cases/1", 200, json, &bytes(&created)).is_err(),
        "a case view has no query code"
    );

    let mut missing = case.clone();
    missing.as_object_mut().expect("object").remove("version");
    let error = validate_response("GET", "/api/v1/cases/1", 200, json, &bytes(&missing)).unwrap_err();
    assert!(error.contains("version") && error.contains("GET /api/v1/cases/1"), "{error}");
    let mut bad_state = case.clone();
    bad_state["state"] = json!("open");
    assert!(validate_response("GET", "/api/v1/cases/1", 200, json, &bytes(&bad_state)).is_err());
    let mut bad_time = case.clone();
    bad_time["received_at"] = json!("yesterday");
    assert!(validate_response("GET", "/api/v1/cases/1", 200, json, &bytes(&bad_time)).is_err());

    assert!(
        validate_response("GET", "/api/v1/cases/1", 418, json, &bytes(&case)).is_err(),
        "undocumented status"
    );
    assert!(validate_response("GET", "/api/v1/cases/1", 200, Some("text/html"), &bytes(&case)).is_err());
    assert!(validate_response("GET", "/api/v1/nothing", 200, json, b"{}").is_err(), "undocumented path");

    let not_found = json!({"type": "about:blank", "title": "Not Found", "status": 404,
                           "code": "not_found", "detail": "no such resource"});
    validate_response("GET", "/api/v1/nothing", 404, problem, &bytes(&not_found))
        .expect("unknown paths are 404");
    assert!(
        validate_response("GET", "/api/v1/cases/1", 404, json, &bytes(&not_found)).is_err(),
        "wrong media type"
    );
    let mut wrong_code = not_found.clone();
    wrong_code["code"] = json!("forbidden");
    assert!(validate_response("GET", "/api/v1/cases/1", 404, problem, &bytes(&wrong_code)).is_err());
    let not_allowed = json!({"type": "about:blank", "title": "Method Not Allowed", "status": 405,
                             "code": "method_not_allowed", "detail": "method not allowed"});
    validate_response("DELETE", "/api/v1/cases/1", 405, problem, &bytes(&not_allowed))
        .expect("other methods are 405");
    assert!(validate_response("DELETE", "/api/v1/cases/1", 200, json, &bytes(&case)).is_err());

    let invalid = json!({"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
                         "code": "validation_failed", "detail": "the request has invalid fields"});
    assert!(
        validate_response("POST", "/api/v1/cases", 422, problem, &bytes(&invalid)).is_err(),
        "a 422 lists its errors"
    );

    validate_response("POST", "/api/v1/auth/logout", 204, None, b"").expect("no content");
    assert!(validate_response("POST", "/api/v1/auth/logout", 204, json, b"{}").is_err(), "204 has no body");
    validate_response(
        "GET",
        "/metrics",
        200,
        Some("text/plain; version=0.0.4; charset=utf-8"),
        b"# metrics\n",
    )
    .expect("metrics are text");
    // The literal `events` segment wins over `{action}`, and each keeps its own method.
    validate_response("GET", "/api/v1/cases/1/events", 200, json, br#"{"items": []}"#).expect("events");
    assert!(validate_response("GET", "/api/v1/cases/1/events/", 200, json, br#"{"items": []}"#).is_err());
}

#[test]
fn the_request_validator_catches_requests_the_spec_does_not_allow() {
    let query = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let list = |pairs: &[(&str, &str)]| validate_request("GET", "/api/v1/cases", &query(pairs), None, b"");
    assert!(list(&[("state", "registered,assigned"), ("limit", "5")]).is_ok());
    assert!(list(&[("limit", "0")]).is_err(), "below the minimum");
    assert!(list(&[("colour", "red")]).is_err(), "undocumented parameter");
    let body = br#"{"channel": "mailbox", "title": "t", "content": "c", "citizen": {"email": ""}}"#;
    let intake = validate_request("POST", "/api/v1/cases", &[], Some("application/json"), body);
    assert!(intake.is_err(), "an empty email is not format email");
}
