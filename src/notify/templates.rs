//! The text of each message, in Chinese, as plain text and HTML. Subjects
//! carry the tracking number and nothing anyone outside the office wrote:
//! a citizen's title in a subject would let anyone have the office's own
//! sender deliver a line of their choosing (`您的社保账户已冻结，请立即访问
//! http://…`). Bodies quote a title only as marked, quoted text in which
//! nothing is left that a mail program would make a link of. Bodies are
//! rendered when the message is sent, from the data captured when it was
//! written.

use serde_json::Value;

use super::Notice;

fn field<'a>(payload: &'a Value, name: &str) -> &'a str {
    payload[name].as_str().unwrap_or("")
}

fn due(payload: &Value) -> String {
    // `2024-10-23T23:59:59+08:00` → `2024-10-23`
    field(payload, "due_at").get(..10).unwrap_or("").to_owned()
}

/// The subject line: what happened and the tracking number.
pub fn subject(notice: Notice, payload: &Value) -> String {
    let no = field(payload, "tracking_no");
    let tag = match notice {
        Notice::Receipt => "来信已收到",
        Notice::Assigned => "交办",
        Notice::DueSoon => "即将到期",
        Notice::Overdue => "已超期",
        Notice::Supervised => "督办",
        Notice::ReplyRejected => "答复退回",
        Notice::Closed => "已办结",
        Notice::Extended => "延期办理",
        Notice::Rectification => "差评整改",
        Notice::Digest => {
            return format!(
                "【{}】{}至{}",
                field(payload, "label"),
                field(payload, "from"),
                field(payload, "last_day")
            )
        }
        Notice::Merged => "已并入",
    };
    format!("【{tag}】{no}")
}

/// A title as a body quotes it: labelled as the writer's words, in 「」,
/// made inert.
fn quoted_title(payload: &Value) -> String {
    format!("来信标题（来信人所写，原文照录）：「{}」", inert(field(payload, "title")))
}

/// Text someone outside the office wrote, with what mail programs turn into
/// links broken up: `http://evil.example/unlock` → `http[:]//evil[.]example/unlock`,
/// `a@b.cn` → `a[at]b[.]cn` (the usual way to quote an address harmlessly).
pub fn inert(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        let between = before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric);
        match c {
            ':' if chars.get(i + 1..i + 3) == Some(&['/', '/'][..]) => out.push_str("[:]"),
            '.' | '．' if between => out.push_str("[.]"),
            '@' | '＠' if between => out.push_str("[at]"),
            _ => out.push(c),
        }
    }
    out
}

/// A digest's lines: the headline figures, the risk board, the attachment.
fn digest_lines(payload: &Value, base: &str) -> Vec<String> {
    let mut lines = vec![
        format!("{}：", field(payload, "recipient_name")),
        format!("{}至{}（按收到时间）运行情况如下：", field(payload, "from"), field(payload, "last_day")),
    ];
    if let Some(headline) = payload["headline"].as_array() {
        lines.extend(headline.iter().filter_map(|line| line.as_str()).map(|line| format!("· {line}")));
    }
    match payload["risk"].as_array() {
        Some(risk) if !risk.is_empty() => {
            lines.push(format!("风险看板（截至{}）：", field(payload, "as_of")));
            lines.extend(risk.iter().filter_map(|line| line.as_str()).map(|line| format!("· {line}")));
        }
        _ => lines.push(format!("风险看板（截至{}）：没有超期或签收超时的案件。", field(payload, "as_of"))),
    }
    lines.push("附件为本期运行通报（Excel），含考核得分、红黑榜、超期与签收超时、差评整改。".into());
    lines.push(format!(
        "查看考核与通报：{base}/console/scorecard?from={}&to={}",
        field(payload, "from"),
        field(payload, "to")
    ));
    lines
}

/// The plain-text and HTML bodies.
pub fn bodies(notice: Notice, payload: &Value, public_url: &str) -> (String, String) {
    let base = public_url.trim_end_matches('/');
    let no = field(payload, "tracking_no");
    let department = field(payload, "department");
    let case_link = format!("{base}/api/v1/cases/{}", payload["case_id"]);
    // The citizen's look-up page with the tracking number filled in. Never
    // the query code: a URL ends up in browser histories, proxy logs and
    // Referer headers; the code is typed in from this mail or the receipt.
    let lookup = format!("{base}/mailbox/lookup?tracking_no={}", url_encode(no));
    let lines: Vec<String> = match notice {
        Notice::Receipt => vec![
            "您好：".into(),
            format!("您的来信已收到，受理编号 {no}，查询码 {}。", field(payload, "query_code")),
            quoted_title(payload),
            format!(
                "我们将在 {} 前办理答复。请妥善保管查询码，凭受理编号和查询码可查询办理进度、评价答复：",
                due(payload)
            ),
            lookup.clone(),
            "如您没有写过这封信，请忽略本邮件。".into(),
        ],
        Notice::Assigned => vec![
            format!("{department}："),
            format!("案件 {no} 已交办贵单位，请于 {} 前办结。", due(payload)),
            quoted_title(payload),
            note_line("交办意见", payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::DueSoon => vec![
            format!("{department}："),
            format!("案件 {no} 将于 {} 到期，请抓紧办理。", due(payload)),
            quoted_title(payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::Overdue => vec![
            format!("{department}："),
            format!("案件 {no} 已于 {} 到期，尚未办结，请立即办理并说明情况。", due(payload)),
            quoted_title(payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::Supervised => vec![
            format!("{department}："),
            format!("县政府办公室对案件 {no} 进行督办，请于 {} 前办结。", due(payload)),
            quoted_title(payload),
            note_line("督办意见", payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::ReplyRejected => vec![
            format!("{department}："),
            format!("案件 {no} 的答复未通过审核，已退回重新办理。"),
            quoted_title(payload),
            note_line("退回理由", payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::Closed => vec![
            "您好：".into(),
            match field(payload, "merged_into_tracking_no") {
                "" => format!("您的来信 {no} 已办结，答复如下："),
                parent => format!("您的来信 {no} 已并入 {parent} 一并办理，现已办结，答复如下："),
            },
            field(payload, "reply").to_owned(),
            quoted_title(payload),
            format!("欢迎对答复作出评价：凭受理编号和查询码访问 {lookup} 。"),
        ],
        Notice::Rectification => vec![
            format!("{department}："),
            format!(
                "案件 {no} 办结后收到不满意评价（或来信人反映问题未解决），请核实情况，于 {} 前整改；\
                 经县政府办公室重新交办后重新答复。如对评价有异议，可在系统中提出申诉，由领导复核。",
                field(payload, "rectify_due_at").get(..10).unwrap_or("")
            ),
            quoted_title(payload),
            format!("查看案件：{case_link}"),
        ],
        Notice::Digest => digest_lines(payload, base),
        Notice::Merged => vec![
            "您好：".into(),
            format!(
                "您的来信 {no} 反映的问题与 {} 相同，已并入该件一并办理（并单），办结后答复将同时发给您。",
                field(payload, "into_tracking_no")
            ),
            quoted_title(payload),
            format!("凭受理编号和查询码可查询办理进度：{lookup}"),
        ],
        Notice::Extended => vec![
            "您好：".into(),
            format!("您的来信 {no} 因情况复杂，办理期限延长至 {}。", due(payload)),
            quoted_title(payload),
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
            // A digest's workbook is kept until sent, not after.
            if map.remove("attachment").is_some() {
                map.insert("attachment".into(), Value::String("(已发送)".into()));
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
    fn subjects_carry_the_tracking_number_and_no_citizen_text() {
        assert_eq!(subject(Notice::Assigned, &payload()), "【交办】MB2024000007");
        assert_eq!(subject(Notice::Overdue, &payload()), "【已超期】MB2024000007");
        let mut phishing = payload();
        phishing["title"] = json!("您的社保账户已冻结，请立即访问 http://evil.example/unlock 解冻");
        for notice in Notice::ALL {
            let line = subject(notice, &phishing);
            assert!(!line.contains("evil") && !line.contains("社保"), "{line}");
        }
    }

    #[test]
    fn a_title_is_quoted_as_the_writers_and_never_a_link() {
        let mut phishing = payload();
        phishing["title"] = json!(
            "账户已冻结，请访问 http://evil.example/unlock 或 www.evil.example，联系 kefu@evil.example"
        );
        // Every notice about a case quotes its title; the digest is about no one case.
        for notice in Notice::ALL.into_iter().filter(|n| *n != Notice::Digest) {
            let (text, html) = bodies(notice, &phishing, "https://xf.example.gov.cn/");
            let quoted =
                text.lines().find(|l| l.starts_with("来信标题（来信人所写，原文照录）：「")).expect(&text);
            assert!(quoted.contains("http[:]//evil[.]example/unlock"), "{quoted}");
            assert!(
                quoted.contains("www[.]evil[.]example") && quoted.contains("kefu[at]evil[.]example"),
                "{quoted}"
            );
            for body in [&text, &html] {
                assert!(!body.contains("evil.example") && !body.contains("http://evil"), "{body}");
            }
            assert!(!html.contains("<a"), "{html}");
        }
        assert_eq!(inert("停车难。请尽快处理"), "停车难。请尽快处理", "Chinese full stops are prose");
        assert_eq!(inert("1.5米"), "1[.]5米");
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
    fn the_rectification_mail_names_its_own_due_date() {
        let mut payload = payload();
        payload["rectify_due_at"] = json!("2024-10-30T23:59:59+08:00");
        assert_eq!(subject(Notice::Rectification, &payload), "【差评整改】MB2024000007");
        let (text, _) = bodies(Notice::Rectification, &payload, "https://xf.example.gov.cn/");
        assert!(text.starts_with("县城市管理局："), "{text}");
        assert!(text.contains("于 2024-10-30 前整改"), "{text}");
        assert!(text.contains("申诉"), "{text}");
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
