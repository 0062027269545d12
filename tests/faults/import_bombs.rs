//! Workbook bombs (issue 21): small `.xlsx` files that unpack to far more
//! than they weigh — a cell at XFD1048576, a 512 MiB shared string, a row
//! 200,000 rows down, a shared-strings count of 10^11, 15 MB of styles.
//! Each is posted to the real binary, a child whose address space is capped
//! (`prlimit --as`) a little above what it uses at rest, so an allocation the
//! limits should have prevented kills it rather than passing on a large
//! machine. Each must be refused with 422, dry run or not, and afterwards the
//! same process must still register a case; a legitimate workbook still
//! imports under the cap. `casedesk import` refuses each with the same sentence.

use std::io::{Cursor, Write};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{client, login, serially, ScratchDb, Service, ADMIN_PASSWORD};

/// Address space the service may add to what it holds at rest: room for a
/// legitimate import, not for any of the bombs.
const HEADROOM_BYTES: u64 = 512 * 1024 * 1024;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="案件" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#;

/// A part of a workbook: its name and its content, given as a chunk written
/// `repeat` times between a head and a tail, so that a huge part is
/// compressed as it is written and never held whole by the test.
struct Part {
    name: &'static str,
    head: String,
    chunk: String,
    repeat: usize,
    tail: String,
}

impl Part {
    fn plain(name: &'static str, body: &str) -> Part {
        Part { name, head: body.to_owned(), chunk: String::new(), repeat: 0, tail: String::new() }
    }
}

/// A zip archive of the minimal workbook parts plus `sheet` rows and `extra` parts.
fn workbook(dimension: &str, rows: &str, extra: Vec<Part>) -> Vec<u8> {
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
    );
    let mut parts = vec![
        Part::plain("[Content_Types].xml", CONTENT_TYPES),
        Part::plain("_rels/.rels", PACKAGE_RELS),
        Part::plain("xl/workbook.xml", WORKBOOK),
        Part::plain("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        Part::plain("xl/worksheets/sheet1.xml", &sheet),
    ];
    parts.extend(extra);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for part in parts {
        zip.start_file(part.name, options).unwrap();
        zip.write_all(part.head.as_bytes()).unwrap();
        for _ in 0..part.repeat {
            zip.write_all(part.chunk.as_bytes()).unwrap();
        }
        zip.write_all(part.tail.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn inline(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// The bombs: a name, the file, and what the refusal must say.
fn bombs() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let header = format!(r#"<row r="1">{}</row>"#, inline("A1", "渠道"));
    let shared_cell = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
    let sst_head = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#;
    vec![
        (
            "a cell at XFD1048576",
            workbook(
                "A1:XFD1048576",
                &format!(r#"{header}<row r="1048576">{}</row>"#, inline("XFD1048576", "x")),
                vec![],
            ),
            "XFD1048576",
        ),
        (
            "one shared string of 512 MiB",
            workbook(
                "A1",
                shared_cell,
                vec![Part {
                    name: "xl/sharedStrings.xml",
                    head: sst_head.into(),
                    chunk: "a".repeat(1024 * 1024),
                    repeat: 512,
                    tail: "</t></si></sst>".into(),
                }],
            ),
            "unpacks to",
        ),
        (
            "a cell at Z200000",
            workbook("A1:Z200000", &format!(r#"{header}<row r="200000">{}</row>"#, inline("Z200000", "x")), vec![]),
            "Z200000",
        ),
        (
            "a shared-strings count of 10^11",
            workbook(
                "A1",
                shared_cell,
                vec![Part::plain(
                    "xl/sharedStrings.xml",
                    r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="100000000000"><si><t>渠道</t></si></sst>"#,
                )],
            ),
            "shared strings number 100,000,000,000",
        ),
        (
            "15 MB of cell styles",
            workbook(
                "A1",
                &header,
                vec![Part {
                    name: "xl/styles.xml",
                    head: r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>"#.into(),
                    chunk: "<xf/>".repeat(1000),
                    repeat: 3000,
                    tail: "</cellXfs></styleSheet>".into(),
                }],
            ),
            "'xl/styles.xml' unpacks to",
        ),
    ]
}

/// A workbook in the import format with two good rows.
fn good_workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in ["渠道", "外部编号", "标题", "内容", "收到时间"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for row in 1..=2_u32 {
        for (col, value) in
            ["公开信箱", &format!("BOMB-OK-{row}"), "路灯不亮", "小区路灯坏了。", "2025-03-05 09:00"]
                .iter()
                .enumerate()
        {
            sheet.write_string(row, col as u16, *value).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// Bytes of address space the process holds now.
fn address_space(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmSize in /proc/PID/status");
    kib * 1024
}

fn cap_address_space(pid: u32, bytes: u64) {
    let status = Command::new("prlimit").arg(format!("--pid={pid}")).arg(format!("--as={bytes}:")).status();
    assert!(status.expect("prlimit (util-linux) runs").success(), "prlimit --as={bytes}: failed");
}

async fn post_import(
    http: &reqwest::Client,
    service: &mut Service,
    token: &str,
    name: &str,
    query: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let sent = http
        .post(format!("{}/api/v1/imports{query}", service.base))
        .bearer_auth(token)
        .header("content-type", XLSX)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        }
        Err(error) => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            panic!(
                "no answer to {name} ({query}): {error}; the service {}\n{}",
                match service.exited() {
                    Some(status) => format!("died: {status}"),
                    None => "is still running".into(),
                },
                service.log_tail()
            )
        }
    }
}

async fn bombs_are_refused_and_the_service_goes_on(db: ScratchDb) {
    let mut service = Service::new(&db.url, &db.dir.path().join("service"), &[]);
    service.start().await;
    let token = login(&service.base, "admin", ADMIN_PASSWORD).await;
    let at_rest = address_space(service.pid());
    let cap = at_rest + HEADROOM_BYTES;
    cap_address_space(service.pid(), cap);
    let http = client(Duration::from_secs(60));
    let mut refusals = Vec::new();
    for (name, bytes, says) in bombs() {
        for query in ["?dry_run=true", ""] {
            let (status, body) = post_import(&http, &mut service, &token, name, query, bytes.clone()).await;
            assert_eq!(status, 422, "{name} ({query}): {body}");
            assert_eq!(body["code"], "validation_failed", "{body}");
            let message = body["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
            assert!(message.contains(says), "{name}: {message}");
            assert!(message.chars().count() < 400, "a sentence, not the file: {message}");
            assert!(service.exited().is_none(), "the service died on {name}");
        }
        refusals.push(format!("{name} ({} bytes) → 422", bytes.len()));
    }
    let (status, body) =
        post_import(&http, &mut service, &token, "a good workbook", "", good_workbook()).await;
    assert_eq!(status, 201, "a legitimate workbook imports under the cap: {body}");
    assert_eq!(
        (body["counts"]["new"].as_i64(), body["counts"]["refused"].as_i64()),
        (Some(2), Some(0)),
        "{body}"
    );
    let registered = http
        .post(format!("{}/api/v1/cases", service.base))
        .bearer_auth(&token)
        .json(&json!({"channel": "mailbox", "title": "炸弹之后", "content": "服务仍在运行。"}))
        .send()
        .await
        .expect("the service answers after the bombs");
    assert_eq!(registered.status(), 201);
    println!(
        "workbook bombs under an address-space cap of {} MiB (at rest {} MiB): {}; then a good workbook \
         imported and a case registered",
        cap >> 20,
        at_rest >> 20,
        refusals.join(", ")
    );
}

#[test]
fn workbook_bombs_are_refused_on_sqlite() {
    serially(bombs_are_refused_and_the_service_goes_on(ScratchDb::sqlite()));
}

#[test]
fn workbook_bombs_are_refused_on_postgres() {
    serially(bombs_are_refused_and_the_service_goes_on(ScratchDb::postgres()));
}

/// `casedesk import` reads files the same way and says the same sentence.
#[test]
fn the_command_line_refuses_the_bombs_with_the_same_sentence() {
    let db = ScratchDb::sqlite();
    for (name, bytes, says) in bombs() {
        let file = db.dir.path().join("bomb.xlsx");
        std::fs::write(&file, &bytes).unwrap();
        let output = Command::new("prlimit")
            .arg(format!("--as={}", 2 * 1024 * 1024 * 1024_u64))
            .arg(env!("CARGO_BIN_EXE_casedesk"))
            .args(["import", "--dry-run"])
            .arg(&file)
            .env("DATABASE_URL", &db.url)
            .env("CASEDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(says) && stderr.contains("the workbook is refused whole"),
            "{name}: {stderr}"
        );
    }
}
