//! The text of each message, in Chinese, as plain text and HTML. Subjects
//! carry the tracking number. Bodies are rendered when the message is sent,
//! from the data captured when it was written.

use serde_json::Value;

use super::Notice;

fn field<'a>(payload: &'a Value, name: &str) -> &'a str {
    payload[name].as_str().unwrap_or("")
}

fn due(payload: &Value) -> String {
    // `2024-10-23T23:59:59+08:00` → `2024-10-23`
    field(payload, "due_at").get(..10).unwrap_or("").to_owned()
}

/// The subject line.
pub fn subject(notice: Notice, payload: &Value) -> String {
    let (no, title) = (field(payload, "tracking_no"), field(payload, "title"));
    let tag = match notice {
        Notice::Receipt => "来信已收到",
        Notice::Assigned => "交办",
        Notice::DueSoon => "即将到期",
        Notice::Overdue => "已超期",
        Notice::Supervised => "督办",
        Notice::ReplyRejected => "答复退回",
        Notice::Closed => "已办结",
        Notice::Extended => "延期办理",
    };
    format!("【{tag}】{no} {title}")
}

/// The plain-text and HTML bodies.
pub fn bodies(notice: Notice, payload: &Value, public_url: &str) -> (String, String) {
    let base = public_url.trim_end_matches('/');
    let (no, title) = (field(payload, "tracking_no"), field(payload, "title"));
    let department = field(payload, "department");
    let case_link = format!("{base}/api/v1/cases/{}", payload["case_id"]);
    // The citizen's look-up page with the tracking number filled in. Never
    // the query code: a URL ends up in browser histories, proxy logs and
    // Referer headers; the code is typed in from this mail or the receipt.
    let lookup = format!("{base}/mailbox/lookup?tracking_no={}", url_encode(no));
    let lines: Vec<String> = match notice {
        Notice::Receipt => vec![
            "您好：".into(),
            format!("您的来信《{title}》已收到，受理编号 {no}，查询码 {}。", field(payload, "query_code")),
            format!(
                "我们将在 {} 前办理答复。请妥善保管查询码，凭受理编号和查询码可查询办理进度、评价答复：",
                due(payload)
            ),
            lookup.clone(),
        ],
        Notice::Assigned => vec![
            format!("{department}："),
            format!("案件 {no}《{title}》已交办贵单位，请于 {} 前办结。", due(payload)),
            note_line("交办意见", payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::DueSoon => vec![
            format!("{department}："),
            format!("案件 {no}《{title}》将于 {} 到期，请抓紧办理。", due(payload)),
            format!("查看案件：{case_link}"),
        ],
        Notice::Overdue => vec![
            format!("{department}："),
            format!("案件 {no}《{title}》已于 {} 到期，尚未办结，请立即办理并说明情况。", due(payload)),
            format!("查看案件：{case_link}"),
        ],
        Notice::Supervised => vec![
            format!("{department}："),
            format!("县政府办公室对案件 {no}《{title}》进行督办，请于 {} 前办结。", due(payload)),
            note_line("督办意见", payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::ReplyRejected => vec![
            format!("{department}："),
            format!("案件 {no}《{title}》的答复未通过审核，已退回重新办理。"),
            note_line("退回理由", payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::Closed => vec![
            "您好：".into(),
            format!("您的来信 {no}《{title}》已办结，答复如下："),
            field(payload, "reply").to_owned(),
            format!("欢迎对答复作出评价：凭受理编号和查询码访问 {lookup} 。"),
        ],
        Notice::Extended => vec![
            "您好：".into(),
            format!("您的来信 {no}《{title}》因情况复杂，办理期限延长至 {}。", due(payload)),
            format!("查询进度：{lookup}"),
        ],
    };
    let lines: Vec<String> = lines.into_iter().filter(|l| !l.is_empty()).collect();
    let text = format!("{}\n\n县政府办公室\n", lines.join("\n"));
    let html = format!(
        "<!DOCTYPE html><html><body>{}<p>县政府办公室</p></body></html>",
        lines.iter().map(|l| format!("<p>{}</p>", escape(l))).collect::<String>()
    );
    (text, html)
}

fn note_line(label: &str, payload: &Value) -> String {
    match field(payload, "note") {
        "" => String::new(),
        note => format!("{label}：{note}"),
    }
}

/// Percent-encodes a query parameter's value (tracking numbers are letters
/// and digits, but the payload is data, not a promise).
fn url_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The render data kept after sending: the query code is removed, so that it
/// exists in clear nowhere once the citizen has it.
pub fn redacted(payload: &str) -> String {
    match serde_json::from_str::<Value>(payload) {
        Ok(Value::Object(mut map)) => {
            if map.remove("query_code").is_some() {
                map.insert("query_code".into(), Value::String("(已发送)".into()));
            }
            Value::Object(map).to_string()
        }
        _ => payload.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload() -> Value {
        json!({
            "case_id": 7,
            "tracking_no": "MB2024000007",
            "title": "路灯<不亮>",
            "due_at": "2024-10-23T23:59:59+08:00",
            "department": "县城市管理局",
            "note": "请尽快处理",
            "query_code": "ABCDEFGH23",
        })
    }

    #[test]
    fn citizens_mail_links_the_lookup_page_without_the_code() {
        for notice in [Notice::Receipt, Notice::Closed, Notice::Extended] {
            let (text, _) = bodies(notice, &payload(), "https://xf.example.gov.cn/");
            assert!(
                text.contains("https://xf.example.gov.cn/mailbox/lookup?tracking_no=MB2024000007"),
                "{text}"
            );
            assert!(!text.contains("code="), "{text}");
            assert!(!text.contains("/api/"), "citizens get pages, not the API: {text}");
        }
    }

    #[test]
    fn subjects_carry_the_tracking_number() {
        assert_eq!(subject(Notice::Assigned, &payload()), "【交办】MB2024000007 路灯<不亮>");
        assert!(subject(Notice::Overdue, &payload()).starts_with("【已超期】MB2024000007"));
    }

    #[test]
    fn department_mail_names_the_due_date_and_links_the_case() {
        let (text, html) = bodies(Notice::Assigned, &payload(), "https://xf.example.gov.cn/");
        assert!(text.starts_with("县城市管理局："));
        assert!(text.contains("请于 2024-10-23 前办结"));
        assert!(text.contains("交办意见：请尽快处理"));
        assert!(text.contains("https://xf.example.gov.cn/api/v1/cases/7"));
        assert!(html.contains("路灯&lt;不亮&gt;"), "HTML is escaped");
        assert!(!text.contains("ABCDEFGH23"), "departments never see the query code");
    }

    #[test]
    fn the_receipt_gives_the_code_once_and_it_is_then_removed() {
        let (text, _) = bodies(Notice::Receipt, &payload(), "http://127.0.0.1:8080");
        assert!(text.contains("查询码 ABCDEFGH23"));
        assert!(text.contains("http://127.0.0.1:8080/mailbox/lookup?tracking_no=MB2024000007\n"), "{text}");
        assert_eq!(text.matches("ABCDEFGH23").count(), 1, "the code is in the text, never in a link: {text}");
        let kept = redacted(&payload().to_string());
        assert!(!kept.contains("ABCDEFGH23"));
        assert!(kept.contains("MB2024000007"));
    }
}
