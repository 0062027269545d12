//! `api-spec/openapi.yaml`, read once per test binary: [`validate_response`]
//! checks each response the tests receive against the documented operation
//! (status, media type and JSON Schema of the body), and [`validate_request`]
//! each request the service accepted (query parameters and JSON body). The
//! tests of the document itself (every route documented, well-formed OpenAPI
//! 3.1, the validators catch drift) are in `tests/api/openapi.rs`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

/// Where the document lives: beside this crate, in the service's own.
const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../api-spec/openapi.yaml");

/// The HTTP methods an OpenAPI path item can hold, as its keys.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The parsed document, loaded once per test binary.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text =
            std::fs::read_to_string(SPEC_PATH).unwrap_or_else(|e| panic!("cannot read {SPEC_PATH}: {e}"));
        serde_norway::from_str::<Value>(&text)
            .unwrap_or_else(|e| panic!("{SPEC_PATH} is not valid YAML: {e}"))
    })
}

/// Compiled body schemas, by the JSON pointer of the schema in the document.
fn validators() -> &'static Mutex<HashMap<String, Arc<jsonschema::Validator>>> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    VALIDATORS.get_or_init(Default::default)
}

/// Escapes one JSON-pointer token (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Follows local `$ref`s (`#/…`) until a value that is not a reference;
/// returns it with its JSON pointer.
pub fn resolve(mut value: &Value, mut pointer: String) -> Result<(&Value, String), String> {
    let mut seen = HashSet::new();
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .ok_or_else(|| format!("{pointer}: only local references are supported, got {reference}"))?;
        if !seen.insert(target.to_owned()) {
            return Err(format!("{pointer}: reference cycle through {reference}"));
        }
        value = spec().pointer(target).ok_or_else(|| format!("{pointer}: {reference} does not resolve"))?;
        pointer = target.to_owned();
    }
    Ok((value, pointer))
}

/// Every operation: (upper-case method, path template, operation object, its JSON pointer).
pub fn operations() -> Vec<(String, &'static str, &'static Value, String)> {
    let mut found = Vec::new();
    if let Some(paths) = spec().get("paths").and_then(Value::as_object) {
        for (template, item) in paths {
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    let pointer = format!("/paths/{}/{method}", escape_token(template));
                    found.push((method.to_ascii_uppercase(), template.as_str(), operation, pointer));
                }
            }
        }
    }
    found
}

/// Every documented (METHOD, path template).
pub fn documented_routes() -> Vec<(String, String)> {
    operations().into_iter().map(|(method, template, _, _)| (method, template.to_owned())).collect()
}

/// How well `template` fits `path`: `None` if it does not; otherwise one flag
/// per segment, `true` for a literal one, so that a larger value is a more
/// specific template. `{param}` matches exactly one non-empty segment.
fn match_template(template: &str, path: &str) -> Option<Vec<bool>> {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    if template.len() != path.len() {
        return None;
    }
    template
        .iter()
        .zip(&path)
        .map(|(t, p)| {
            let is_param = t.starts_with('{') && t.ends_with('}');
            match (is_param, p.is_empty()) {
                (true, false) => Some(false),
                (true, true) => None,
                (false, _) => (t == p).then_some(true),
            }
        })
        .collect()
}

/// The documented operation for a request, with its template and pointer; or
/// an explanation of why there is none.
fn find_operation(method: &str, path: &str) -> Result<(&'static str, &'static Value, String), String> {
    let method = method.to_ascii_uppercase();
    let mut best: Option<(Vec<bool>, &'static str, &'static Value, String)> = None;
    let mut other_methods = BTreeSet::new();
    for (op_method, template, operation, pointer) in operations() {
        let Some(score) = match_template(template, path) else { continue };
        if op_method != method {
            other_methods.insert(op_method);
            continue;
        }
        if best.as_ref().is_none_or(|(best_score, ..)| score > *best_score) {
            best = Some((score, template, operation, pointer));
        }
    }
    match best {
        Some((_, template, operation, pointer)) => Ok((template, operation, pointer)),
        None if other_methods.is_empty() => Err(format!("no documented path matches {path}")),
        None => Err(format!(
            "{path} is documented only for {}",
            other_methods.into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The media type without parameters, lower-cased.
fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}

/// Whether a documented media-type key (possibly a range like `text/*`) covers `actual`.
fn media_matches(documented: &str, actual: &str) -> bool {
    let documented = essence(documented);
    if documented == actual || documented == "*/*" {
        return true;
    }
    match documented.strip_suffix("/*") {
        Some(kind) => actual.split('/').next() == Some(kind),
        None => false,
    }
}

/// The compiled validator for the schema at `pointer`. The schema is wrapped in
/// a document that also holds the spec's `components`, so that references to
/// `#/components/…` resolve as they do in the spec.
pub fn validator_for(schema: &Value, pointer: &str) -> Result<Arc<jsonschema::Validator>, String> {
    let mut cache = validators().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(validator) = cache.get(pointer) {
        return Ok(validator.clone());
    }
    let document = json!({
        "allOf": [schema],
        "components": spec().get("components").cloned().unwrap_or_else(|| json!({})),
    });
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&document)
        .map_err(|e| format!("the schema at {pointer} does not compile: {e}"))?;
    let validator = Arc::new(validator);
    cache.insert(pointer.to_owned(), validator.clone());
    Ok(validator)
}

/// Checks a body against the schema at `pointer`; the errors, one a line.
fn check_json(schema: &Value, pointer: &str, instance: &Value) -> Result<(), String> {
    let validator = validator_for(schema, pointer)?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| {
            let at = error.instance_path().to_string();
            if at.is_empty() {
                format!("  - {error}")
            } else {
                format!("  - at {at}: {error}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("the body does not match {pointer}:\n{}", errors.join("\n")))
    }
}

/// Checks `body` (with its `content_type`) against a resolved response object.
fn check_against_response(
    response: &Value,
    response_pointer: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let content = response.get("content").and_then(Value::as_object).filter(|c| !c.is_empty());
    let Some(content) = content else {
        return if body.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "no body is documented ({response_pointer}), but there is one of {} bytes: {}",
                body.len(),
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ))
        };
    };
    let documented: Vec<&String> = content.keys().collect();
    let actual = content_type
        .map(essence)
        .ok_or_else(|| format!("the response has no Content-Type; documented: {documented:?}"))?;
    let (media_key, media) = content
        .iter()
        .find(|(key, _)| essence(key) == actual)
        .or_else(|| content.iter().find(|(key, _)| media_matches(key, &actual)))
        .ok_or_else(|| format!("Content-Type {actual} is not documented; documented: {documented:?}"))?;
    let Some(schema) = media.get("schema") else {
        return Ok(());
    };
    let schema_pointer = format!("{response_pointer}/content/{}/schema", escape_token(media_key));
    if is_json(&actual) {
        let instance: Value = serde_json::from_slice(body).map_err(|e| {
            format!("the body is not JSON ({e}): {}", String::from_utf8_lossy(&body[..body.len().min(300)]))
        })?;
        check_json(schema, &schema_pointer, &instance)
    } else if schema.get("contentEncoding").is_some()
        || schema.get("format").and_then(Value::as_str) == Some("binary")
    {
        // A binary document (a workbook): its media type was checked above.
        if body.is_empty() {
            return Err("the binary body is empty".into());
        }
        Ok(())
    } else if schema.get("type").and_then(Value::as_str) == Some("string") {
        let text = std::str::from_utf8(body).map_err(|e| format!("the {actual} body is not UTF-8: {e}"))?;
        check_json(schema, &schema_pointer, &Value::String(text.to_owned()))
    } else {
        Ok(())
    }
}

/// A response to a method or path that no operation documents is acceptable
/// only as the service-wide refusal described in the document: 404 when no
/// template matches, 405 when the path exists with other methods.
fn check_undocumented(
    reason: String,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let name = match status {
        404 if reason.starts_with("no documented path") => "NotFound",
        405 if !reason.starts_with("no documented path") => "MethodNotAllowed",
        _ => return Err(format!("{reason}, and the response is {status}")),
    };
    let pointer = format!("/components/responses/{name}");
    let response = spec().pointer(&pointer).ok_or_else(|| format!("{reason}, and {pointer} is missing"))?;
    let (response, pointer) = resolve(response, pointer)?;
    check_against_response(response, &pointer, content_type, body).map_err(|e| format!("{reason}: {e}"))
}

/// Checks one response against the document.
///
/// `path` is the request path, optionally with a query string. The operation
/// is the one whose template matches the path (a `{param}` matches one
/// non-empty segment; the most literal template wins) with this method. Its
/// `status` must be documented (or a `4XX`-style range, or `default`). If the
/// documented response has content, the response's media type must be one of
/// the documented ones and a JSON body must validate against the schema (JSON
/// Schema 2020-12, formats checked); otherwise the body must be empty.
///
/// Responses to undocumented paths or methods pass only as the service-wide
/// 404 `not_found` (unknown path) or 405 `method_not_allowed` (known path,
/// other method) that the document describes in `components/responses`.
pub fn validate_response(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let path_only = path.split(['?', '#']).next().unwrap_or(path);
    let context = format!("{} {path} → {status}", method.to_ascii_uppercase());
    let (template, operation, pointer) = match find_operation(method, path_only) {
        Ok(found) => found,
        Err(reason) => {
            return check_undocumented(reason, status, content_type, body)
                .map_err(|e| format!("{context}: {e}"))
        }
    };
    let responses = operation
        .get("responses")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{context}: {pointer} has no responses"))?;
    let status_text = status.to_string();
    let range = format!("{}XX", status / 100);
    let key = [status_text.as_str(), range.as_str(), "default"]
        .into_iter()
        .find(|key| responses.contains_key(*key))
        .ok_or_else(|| {
            format!(
                "{context}: status {status} is not documented for {} {template}; documented: {:?}",
                method.to_ascii_uppercase(),
                responses.keys().collect::<Vec<_>>()
            )
        })?;
    let (response, response_pointer) = resolve(&responses[key], format!("{pointer}/responses/{key}"))
        .map_err(|e| format!("{context}: {e}"))?;
    check_against_response(response, &response_pointer, content_type, body)
        .map_err(|e| format!("{context} (documented as {} {template}): {e}", method.to_ascii_uppercase()))
}

/// A query value as the type its schema names, so that `limit=5` validates
/// against `type: integer`.
fn typed_query_value(schema: &Value, raw: &str) -> Value {
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or("string");
    if kind == "array" {
        // `style: form, explode: false`: one comma-separated value.
        let items = schema.get("items").unwrap_or(&Value::Null);
        return Value::Array(raw.split(',').map(|item| typed_query_value(items, item)).collect());
    }
    let parsed = match kind {
        "integer" => raw.parse::<i64>().ok().map(Value::from),
        "number" => raw.parse::<f64>().ok().map(Value::from),
        "boolean" => raw.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::from(raw))
}

/// Checks a request against its documented operation: every query parameter
/// is documented, required ones are present, each value fits its schema, and
/// a JSON body fits the request body's schema. The API tests call it for
/// requests the service accepted (2xx): a request the service takes must be
/// one the spec allows. Requests to undocumented routes are left to
/// [`validate_response`].
pub fn validate_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let context = format!("{} {path}", method.to_ascii_uppercase());
    let Ok((template, operation, pointer)) = find_operation(method, path) else { return Ok(()) };
    let item_pointer = pointer.rsplit_once('/').map(|(item, _)| item.to_owned()).unwrap_or_default();
    let item = spec().pointer(&item_pointer).unwrap_or(&Value::Null);
    let mut documented = HashMap::new();
    for (owner, owner_pointer) in [(item, &item_pointer), (operation, &pointer)] {
        let parameters = owner.get("parameters").and_then(Value::as_array).into_iter().flatten();
        for (i, parameter) in parameters.enumerate() {
            let at = format!("{owner_pointer}/parameters/{i}");
            let (parameter, at) = resolve(parameter, at).map_err(|e| format!("{context}: {e}"))?;
            if parameter["in"] == "query" {
                documented.insert(parameter["name"].as_str().unwrap_or("").to_owned(), (parameter, at));
            }
        }
    }
    let mut problems = Vec::new();
    for (name, raw) in query {
        match documented.get(name) {
            None => problems.push(format!("query parameter {name} is not documented")),
            Some((parameter, at)) => {
                let schema = &parameter["schema"];
                let (resolved, _) =
                    resolve(schema, format!("{at}/schema")).map_err(|e| format!("{context}: {e}"))?;
                if let Err(e) = check_json(schema, &format!("{at}/schema"), &typed_query_value(resolved, raw))
                {
                    problems.push(format!("query parameter {name}={raw}: {e}"));
                }
            }
        }
    }
    for (name, (parameter, _)) in &documented {
        if parameter["required"] == true && !query.iter().any(|(n, _)| n == name) {
            problems.push(format!("required query parameter {name} is missing"));
        }
    }
    let media = content_type.map(essence).unwrap_or_default();
    if !body.is_empty() && is_json(&media) {
        let content = operation.pointer("/requestBody/content").and_then(Value::as_object);
        let documented_body = content.and_then(|c| c.iter().find(|(key, _)| media_matches(key, &media)));
        match (documented_body, serde_json::from_slice::<Value>(body)) {
            // The tests' `post` helper sends `{}` where an operation takes no body.
            (None, Ok(instance)) if instance == json!({}) => {}
            (None, _) => problems.push(format!("a {media} body is not documented")),
            (Some(_), Err(e)) => problems.push(format!("the body is not JSON: {e}")),
            (Some((key, media_object)), Ok(instance)) => {
                let at = format!("{pointer}/requestBody/content/{}/schema", escape_token(key));
                if let Err(e) = check_json(&media_object["schema"], &at, &instance) {
                    problems.push(e);
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{context} (documented as {template}): {}", problems.join("; ")))
    }
}
