//! The rules of the field errors (`domain::validation::Rule`) in Chinese: the
//! one table every page words a refusal from. The API says the same rules in
//! English (their `Display`); here each becomes a sentence about the field as
//! the form labels it.

use crate::domain::validation::{FieldError, Rule, ShapeKind};

/// A field's name as the forms label it (a form with labels of its own
/// passes them to [`rule_sentence`]).
pub fn field_label(field: &str) -> &str {
    match field {
        "from" => "开始日期",
        "to" => "结束日期",
        "channel" => "渠道",
        "department_id" => "承办单位",
        "title" => "标题",
        "content" => "内容",
        "category" => "类别",
        "citizen.name" | "name" => "姓名",
        "citizen.phone" | "phone" => "电话",
        "citizen.email" | "email" => "电子邮箱",
        "citizen.address" | "address" => "地址",
        "received_at" => "收到时间",
        "external_ref" => "外部编号",
        "state" => "状态",
        "due_before" => "截止日期",
        "received_from" => "收到时间起",
        "received_to" => "收到时间止",
        "q" => "搜索词",
        "note" => "备注",
        "reason" => "理由",
        "reply" => "答复内容",
        "days" => "延期工作日数",
        "approve" => "审批意见",
        "rating" => "评价",
        "result_rating" => "办理结果评价",
        "comment" => "意见",
        "duplicate_of" => "重复的案件编号",
        "version" => "版本",
        "username" => "用户名",
        "display_name" => "姓名",
        "role" => "角色",
        "password" | "new_password" => "密码",
        "current_password" => "当前密码",
        "code" => "代码",
        "time_limit" => "办理时限",
        "time_limit_unit" | "extension_unit" => "单位",
        "extension_limit" => "延期上限",
        "tracking_prefix" => "编号前缀",
        "date" => "日期",
        "is_workday" => "类型",
        "note_text" => "说明",
        "year" => "年份",
        "categories" => "类别",
        other => other,
    }
}

/// Fields chosen from a list rather than typed: "请选择" rather than "请填写".
fn is_choice(field: &str) -> bool {
    matches!(
        field,
        "rating"
            | "result_rating"
            | "approve"
            | "role"
            | "department_id"
            | "channel"
            | "category"
            | "is_workday"
            | "state"
            | "time_limit_unit"
            | "extension_unit"
    )
}

/// `error` in Chinese, about its field as [`field_label`] names it.
pub fn sentence(error: &FieldError) -> String {
    rule_sentence(&error.field, field_label(&error.field), &error.rule)
}

/// `rule`, broken by `field` (labelled `label` on its form), in Chinese.
pub fn rule_sentence(field: &str, label: &str, rule: &Rule) -> String {
    match rule {
        Rule::Required if is_choice(field) => format!("请选择{label}。"),
        Rule::Required | Rule::Length { got: 0, .. } => match rule {
            Rule::Length { max, .. } => format!("请填写{label}，不能为空（最多 {max} 个字）。"),
            _ => format!("请填写{label}，不能为空。"),
        },
        Rule::RequiredDate => format!("请填写{label}（格式：2024-03-05）。"),
        Rule::RequiredYear => "请填写 2000 至 2100 之间的年份。".to_owned(),
        Rule::RequiredDecision => "请选择同意或不同意。".to_owned(),
        Rule::Length { min, max, got } if got > max => {
            format!("{label}最多 {max} 个字，现在是 {got} 个字，请删减后再提交。{}", at_least(*min))
        }
        Rule::Length { min, max, got } => format!("{label}应为 {min} 至 {max} 个字，现在是 {got} 个字。"),
        Rule::MaxChars(max) => format!("{label}最多 {max} 个字。"),
        Rule::ControlCharacters => format!("{label}不能包含控制字符（无法识别的字符），请删除后再提交。"),
        Rule::NulCharacters => "内容中有无法保存的空字符（NUL），请删除后再提交。".to_owned(),
        Rule::NotInFuture => format!("{label}不能晚于当前时间。"),
        Rule::YearFrom(year) => format!("{label}不能早于 {year} 年。"),
        Rule::Timestamp => format!("请填写{label}，例如 2026-12-02 10:30。"),
        Rule::DateOrTimestamp | Rule::Date => format!("请填写有效日期，格式如 2024-03-05（{label}）。"),
        Rule::Boolean => format!("{label}的取值无效，请重新选择。"),
        Rule::OneOf(_) => format!("请选择{label}。"),
        Rule::WholeNumber { min, max } => format!("{label}请填写 {min} 至 {max} 之间的整数。"),
        Rule::YearRange => "年份应在 2000 至 2100 之间。".to_owned(),
        Rule::DepartmentId | Rule::UnknownDepartment(_) | Rule::UnknownDepartmentCode(_) => {
            "没有这个承办单位，请重新选择。".to_owned()
        }
        Rule::InactiveDepartment(_) => "这个承办单位已停用，不能再交办。".to_owned(),
        Rule::UnknownChannel(_) => "没有这个渠道，请重新选择。".to_owned(),
        Rule::UnknownState(_) => "没有这个状态，请重新选择。".to_owned(),
        Rule::UnknownCase(_) => "没有这个案件，请核对案件编号。".to_owned(),
        Rule::UnknownTrackingNo(_) => "没有这个受理编号的案件，请核对。".to_owned(),
        Rule::SameDepartment => "案件已在该单位办理。".to_owned(),
        Rule::OriginalInvalid => "被重复的案件必须是有效案件。".to_owned(),
        Rule::SelfDuplicate => "案件不能重复它自己。".to_owned(),
        Rule::ReturnReasonCode => "请选择退回原因：非本单位职责、诉求不清、重复件或其他。".to_owned(),
        Rule::AtLeastOneWorkday => "至少 1 个工作日。".to_owned(),
        Rule::ExtensionAllowance(days) => format!("本案件最多还可延期 {days} 个工作日。"),
        Rule::ResultRatingRequired => "此渠道对办理工作和办理结果分别评价：请选择办理结果评价。".to_owned(),
        Rule::ResultRatingNotUsed => "此渠道只有一项评价，办理结果评价不填。".to_owned(),
        Rule::RatingScale(3) => "此渠道只有满意、基本满意、不满意三个等级。".to_owned(),
        Rule::RatingScale(levels) => format!("此渠道按 {levels} 级评价，请在给出的等级中选择。"),
        Rule::PoorRatingNeedsComment => {
            "选择不满意时请写明意见：办理单位要据此整改，说明哪些问题没有解决。".to_owned()
        }
        Rule::ScaleLevels => "评价等级只能是 3 级或 5 级。".to_owned(),
        Rule::OnlyWhenReached => "未联系上来信人时，不填评价和是否解决。".to_owned(),
        Rule::Username => "用户名应为 3 至 32 位小写字母、数字或 . _ -。".to_owned(),
        Rule::HandlerNeedsDepartment => "承办单位人员必须选择所属承办单位。".to_owned(),
        Rule::DepartmentCode => "代码应为 1 至 20 位字母、数字或下划线。".to_owned(),
        Rule::TrackingPrefix => "编号前缀应为 2 至 4 位大写字母。".to_owned(),
        Rule::PasswordLength { min, max } => format!("{label}应为 {min} 至 {max} 个字符。"),
        Rule::WrongPassword => "当前密码不正确。".to_owned(),
        Rule::CalendarNote => "请填写说明（1 至 50 个字），例如：春节、春节调休上班。".to_owned(),
        Rule::NotInYear(year) => format!("不是 {year} 年的日期。"),
        Rule::ListedTwice => "这一天已经录入，如需改动请先删除。".to_owned(),
        Rule::WeekdayMakeUp(date) => format!("{date} 是周一至周五：只有周六或周日才能设为调休上班日。"),
        Rule::ToAfterFrom => "结束日期必须晚于开始日期。".to_owned(),
        Rule::PeriodTooLong => "统计期最长十年。".to_owned(),
        Rule::BulletinTooLong => "通报期最长366天。".to_owned(),
        Rule::TrendOnly => format!("{label}只用于月度趋势。"),
        Rule::Cursor => "翻页位置无效，请从第一页开始。".to_owned(),
        Rule::KeyReused => "这份表单已经提交过不同的内容，请重新打开登记页面。".to_owned(),
        Rule::Email => "请填写正确的电子邮箱地址，如 name@example.cn；不需要回执可以不填。".to_owned(),
        Rule::EmailAtIp => "电子邮箱须使用邮件域名，不能是 IP 地址。".to_owned(),
        Rule::SingleEmail => "只能填写一个电子邮箱，不能有空格或换行。".to_owned(),
        Rule::Phone => "请填写 11 位手机号码，或带区号的固定电话号码（如 0571-88886666）。".to_owned(),
        Rule::PhoneCharacters => {
            "电话号码只能包含数字、空格、连字符和开头的 +86（请填写手机号码或固定电话）。".to_owned()
        }
        Rule::UnknownCategory(_) => format!("请从列表中选择{label}。"),
        Rule::File(detail) => format!("文件无法读取：{detail}"),
        Rule::Shape(shape) => match shape.kind {
            ShapeKind::Unknown => "表单中有无法识别的项目。".to_owned(),
            ShapeKind::Missing => format!("请填写{label}，不能为空。"),
            ShapeKind::Invalid => format!("{label}的格式不对，请重新填写。"),
        },
    }
}

fn at_least(min: usize) -> String {
    if min > 1 {
        format!("（至少 {min} 个字）")
    } else {
        String::new()
    }
}

/// "label：sentence", for a list of errors above a form.
pub fn field_error(error: &FieldError) -> String {
    format!("{}：{}", field_label(&error.field), sentence(error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::{ShapeError, ShapeKind};
    use chrono::NaiveDate;

    fn error(field: &str, rule: Rule) -> FieldError {
        FieldError { field: field.into(), rule }
    }

    /// Every rule, in both languages: the API's English and the pages' Chinese.
    #[test]
    fn every_rule_reads_in_english_and_in_chinese() {
        let date = NaiveDate::from_ymd_opt(2027, 3, 3).unwrap();
        let shape = |kind| Rule::Shape(ShapeError { kind, detail: "unknown field `fax`".into() });
        let cases: Vec<(&str, Rule, &str, &str)> = vec![
            ("title", Rule::Required, "is required", "请填写标题，不能为空。"),
            ("rating", Rule::Required, "is required", "请选择评价。"),
            ("from", Rule::RequiredDate, "is required (YYYY-MM-DD)", "请填写开始日期（格式：2024-03-05）。"),
            ("year", Rule::RequiredYear, "is required: a year from 2000 to 2100", "年份"),
            ("approve", Rule::RequiredDecision, "is required: true to grant", "请选择同意或不同意。"),
            (
                "title",
                Rule::Length { min: 1, max: 200, got: 0 },
                "must not be empty (at most 200",
                "不能为空（最多 200 个字）",
            ),
            (
                "title",
                Rule::Length { min: 1, max: 200, got: 201 },
                "must be 1 to 200 characters, got 201",
                "现在是 201 个字",
            ),
            (
                "name",
                Rule::Length { min: 3, max: 5, got: 2 },
                "must be 3 to 5 characters, got 2",
                "应为 3 至 5 个字",
            ),
            ("q", Rule::MaxChars(100), "must be at most 100 characters", "最多 100 个字"),
            ("content", Rule::ControlCharacters, "must not contain control characters", "不能包含控制字符"),
            ("body", Rule::NulCharacters, "NUL characters", "空字符"),
            ("received_at", Rule::NotInFuture, "must not be in the future", "不能晚于当前时间"),
            ("received_at", Rule::YearFrom(2000), "from 2000 on", "不能早于 2000 年"),
            ("received_at", Rule::Timestamp, "RFC 3339 timestamp with offset", "例如 2026-12-02 10:30"),
            ("due_before", Rule::DateOrTimestamp, "a date (YYYY-MM-DD) or an RFC 3339", "请填写有效日期"),
            ("date", Rule::Date, "YYYY-MM-DD", "请填写有效日期"),
            ("overdue", Rule::Boolean, "must be true or false", "取值无效"),
            ("role", Rule::OneOf(&["admin", "clerk"]), "must be one of admin, clerk", "请选择角色"),
            ("limit", Rule::WholeNumber { min: 1, max: 500 }, "from 1 to 500", "1 至 500 之间的整数"),
            ("year", Rule::YearRange, "between 2000 and 2100", "2000 至 2100"),
            ("department_id", Rule::DepartmentId, "must be a department id", "没有这个承办单位"),
            ("department_id", Rule::UnknownDepartment(9), "no department 9", "没有这个承办单位"),
            ("department_id", Rule::InactiveDepartment(9), "department 9 is inactive", "已停用"),
            (
                "department",
                Rule::UnknownDepartmentCode("EDU".into()),
                "no department with code EDU",
                "没有这个承办单位",
            ),
            ("channel", Rule::UnknownChannel("fax".into()), "unknown channel 'fax'", "没有这个渠道"),
            ("state", Rule::UnknownState("x".into()), "unknown state 'x'", "没有这个状态"),
            ("duplicate_of", Rule::UnknownCase(7), "no case 7", "没有这个案件"),
            ("department_id", Rule::SameDepartment, "already with this department", "已在该单位办理"),
            ("duplicate_of", Rule::OriginalInvalid, "must be a valid case", "必须是有效案件"),
            ("duplicate_of", Rule::SelfDuplicate, "cannot duplicate itself", "不能重复它自己"),
            (
                "reason_code",
                Rule::ReturnReasonCode,
                "one of not_our_duty, unclear, duplicate, other",
                "请选择退回原因",
            ),
            ("days", Rule::AtLeastOneWorkday, "at least 1 working day", "至少 1 个工作日"),
            ("days", Rule::ExtensionAllowance(3), "at most 3 more working days", "最多还可延期 3 个工作日"),
            ("result_rating", Rule::ResultRatingRequired, "result_rating is required", "请选择办理结果评价"),
            ("result_rating", Rule::ResultRatingNotUsed, "leave result_rating out", "只有一项评价"),
            ("rating", Rule::RatingScale(3), "three levels", "三个等级"),
            ("rating", Rule::RatingScale(5), "5-level scale", "按 5 级评价"),
            ("comment", Rule::PoorRatingNeedsComment, "needs a comment", "请写明意见"),
            ("rating_scale", Rule::ScaleLevels, "must be 3 or 5", "3 级或 5 级"),
            ("rating", Rule::OnlyWhenReached, "only given when the citizen was reached", "未联系上来信人"),
            ("username", Rule::Username, "lower-case letters", "小写字母"),
            (
                "department_id",
                Rule::HandlerNeedsDepartment,
                "must belong to a department",
                "必须选择所属承办单位",
            ),
            ("code", Rule::DepartmentCode, "letters, digits or underscores", "字母、数字或下划线"),
            ("tracking_prefix", Rule::TrackingPrefix, "2 to 4 upper-case letters", "2 至 4 位大写字母"),
            (
                "new_password",
                Rule::PasswordLength { min: 8, max: 128 },
                "must be 8 to 128 characters",
                "8 至 128",
            ),
            ("current_password", Rule::WrongPassword, "is not your current password", "当前密码不正确"),
            ("note", Rule::CalendarNote, "1 to 50 characters", "1 至 50 个字"),
            ("date", Rule::NotInYear(2027), "is not in 2027", "不是 2027 年的日期"),
            ("date", Rule::ListedTwice, "is listed twice", "已经录入"),
            ("is_workday", Rule::WeekdayMakeUp(date), "2027-03-03 is a weekday", "只有周六或周日"),
            ("to", Rule::ToAfterFrom, "must be after from", "必须晚于开始日期"),
            ("to", Rule::PeriodTooLong, "at most ten years", "最长十年"),
            ("to", Rule::BulletinTooLong, "at most 366 days", "最长366天"),
            ("interval", Rule::TrendOnly, "only used by /stats/trend", "只用于月度趋势"),
            ("cursor", Rule::Cursor, "not a cursor", "翻页位置无效"),
            ("Idempotency-Key", Rule::KeyReused, "different request body", "已经提交过"),
            ("email", Rule::Email, "such as name@example.cn", "电子邮箱"),
            ("email", Rule::EmailAtIp, "not at an IP address", "IP 地址"),
            ("email", Rule::SingleEmail, "a single email address", "只能填写一个"),
            ("phone", Rule::Phone, "11-digit mobile number", "手机号码"),
            ("phone", Rule::PhoneCharacters, "only digits", "只能包含数字"),
            (
                "category",
                Rule::UnknownCategory("x".into()),
                "not one of the channel's categories",
                "请从列表中选择类别",
            ),
            ("file", Rule::File("not a spreadsheet".into()), "not a spreadsheet", "文件无法读取"),
            ("fax", shape(ShapeKind::Unknown), "unknown field `fax`", "无法识别的项目"),
            ("title", shape(ShapeKind::Missing), "unknown field `fax`", "请填写标题"),
            ("days", shape(ShapeKind::Invalid), "unknown field `fax`", "格式不对"),
        ];
        for (field, rule, english, chinese) in cases {
            let said = error(field, rule.clone());
            assert!(rule.to_string().contains(english), "{rule:?} in English: {}", rule);
            assert!(sentence(&said).contains(chinese), "{rule:?} in Chinese: {}", sentence(&said));
        }
    }

    #[test]
    fn a_form_words_rules_about_its_own_labels() {
        assert_eq!(rule_sentence("content", "来信内容", &Rule::Required), "请填写来信内容，不能为空。");
        assert_eq!(
            field_error(&error("received_from", Rule::DateOrTimestamp)),
            "收到时间起：请填写有效日期，格式如 2024-03-05（收到时间起）。"
        );
    }
}
