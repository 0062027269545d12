//! The shared validation's messages in Chinese, for the pages. The domain
//! speaks English to programs (the API's problem+json carries these messages
//! and field names); a clerk reads the same refusal in Chinese beside the
//! field. A message with no translation here is shown as the domain wrote it.

/// Field names as the forms label them.
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
        "q" => "搜索",
        "note" => "备注",
        "reason" => "理由",
        "reply" => "答复内容",
        "days" => "延期工作日数",
        "approve" => "审批意见",
        "rating" => "评价",
        "result_rating" => "办理结果评价",
        "comment" => "评价意见",
        "duplicate_of" => "重复的案件编号",
        "version" => "版本",
        "username" => "用户名",
        "display_name" => "姓名",
        "role" => "角色",
        "password" => "密码",
        "code" => "代码",
        "time_limit" => "办理时限",
        "extension_limit" => "延期上限",
        "date" => "日期",
        "is_workday" => "类型",
        other => other,
    }
}

/// A domain message in Chinese.
pub fn message(text: &str) -> String {
    let exact = match text {
        "is required" => Some("必须填写".to_owned()),
        "is required (YYYY-MM-DD)" => Some("必须填写（格式：2024-03-05）".to_owned()),
        "must not contain control characters" => Some("不能包含控制字符".to_owned()),
        "must not be in the future" => Some("不能晚于当前时间".to_owned()),
        "must be a department id" => Some("请选择承办单位".to_owned()),
        "must be true or false" => Some("取值无效".to_owned()),
        "must be after from (to is exclusive)" => Some("必须晚于开始日期".to_owned()),
        "the period may span at most ten years" => Some("统计期最长十年".to_owned()),
        "must be a date, YYYY-MM-DD, between the years 1900 and 9999" => {
            Some("日期格式应为 2024-03-05".to_owned())
        }
        "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp" => Some("日期格式应为 2024-03-05".to_owned()),
        "must be an email address such as name@example.cn" => {
            Some("请填写有效的电子邮箱，例如 name@example.cn".to_owned())
        }
        "must be an address at a mail domain, not at an IP address" => {
            Some("电子邮箱须使用邮件域名，不能是 IP 地址".to_owned())
        }
        "must be a single email address without spaces or line breaks" => {
            Some("只能填写一个电子邮箱，不能有空格或换行".to_owned())
        }
        "must be an 11-digit mobile number or a landline number with its area code" => {
            Some("请填写 11 位手机号码，或带区号的固定电话".to_owned())
        }
        "must contain only digits, spaces, dashes and a leading +86" => {
            Some("只能包含数字、空格、连字符和开头的 +86".to_owned())
        }
        "must be at least 1 working day" => Some("至少 1 个工作日".to_owned()),
        "is required: true to grant the extension, false to refuse it" => {
            Some("请选择同意或不同意".to_owned())
        }
        "no extension request is waiting for a decision" => Some("没有待审批的延期申请".to_owned()),
        "the case is already with this department" => Some("案件已在该单位办理".to_owned()),
        "the original must be a valid case, not another invalid one" => {
            Some("被重复的案件必须是有效案件".to_owned())
        }
        "must be at most 100 characters" => Some("最多 100 个字".to_owned()),
        "must be 3 to 32 lower-case letters, digits, '.', '_' or '-'" => {
            Some("应为 3 至 32 位小写字母、数字或 . _ -".to_owned())
        }
        "must be one of admin, clerk, handler, leader" => Some("请选择角色".to_owned()),
        "a handler must belong to a department" => Some("承办单位人员必须选择所属承办单位".to_owned()),
        "must be 1 to 20 letters, digits or underscores" => {
            Some("应为 1 至 20 位字母、数字或下划线".to_owned())
        }
        "a department with this name or code already exists" => Some("已有同名或同代码的承办单位".to_owned()),
        "this would leave no active administrator" => Some("这样会没有可用的系统管理员，未修改".to_owned()),
        "must be workday, calendar_day or month" => Some("请选择单位".to_owned()),
        "must be a valid date, YYYY-MM-DD" => Some("请填写有效日期，例如 2027-10-01".to_owned()),
        "is listed twice" => Some("这一天已经录入，如需改动请先删除".to_owned()),
        "must be 1 to 50 characters, e.g. 春节 or 春节调休上班" => {
            Some("请填写说明（1 至 50 个字），例如：春节、春节调休上班".to_owned())
        }
        _ => None,
    };
    if let Some(text) = exact {
        return text;
    }
    if let Some(rest) = text.strip_prefix("must not be empty (at most ") {
        return format!("不能为空（最多 {} 个字）", rest.trim_end_matches(" characters)"));
    }
    if let Some(rest) = text.strip_prefix("must be ") {
        // "must be {min} to {max} characters, got {chars}"
        if let Some((range, got)) = rest.split_once(" characters, got ") {
            if let Some((min, max)) = range.split_once(" to ") {
                return format!("应为 {min} 至 {max} 个字，现为 {got} 个字");
            }
        }
    }
    if let Some(rest) = text.strip_prefix("at most ") {
        if let Some(days) = rest.strip_suffix(" more working days may be granted for this case") {
            return format!("本案件最多还可延期 {days} 个工作日");
        }
    }
    if let Some(rest) = text.strip_prefix("must be ") {
        // "must be {min} to {max} characters" (passwords), "must be from {min} to 366"
        if let Some((min, max)) = rest.strip_suffix(" characters").and_then(|r| r.split_once(" to ")) {
            return format!("应为 {min} 至 {max} 个字符");
        }
        if let Some((min, max)) = rest.strip_prefix("from ").and_then(|r| r.split_once(" to ")) {
            return format!("请填写 {min} 至 {max} 之间的整数");
        }
    }
    if let Some(year) = text.strip_prefix("is not in ") {
        return format!("不是 {year} 年的日期");
    }
    if let Some(date) =
        text.strip_suffix(" is a weekday: only a Saturday or Sunday can be a make-up working day")
    {
        return format!("{date} 是周一至周五：只有周六或周日才能设为调休上班日");
    }
    if let Some(name) = text.strip_prefix("the username '").and_then(|r| r.strip_suffix("' is taken")) {
        return format!("用户名 {name} 已被使用");
    }
    if text.starts_with("unknown channel") {
        return "没有这个渠道".to_owned();
    }
    if text.starts_with("no department") {
        return "没有这个承办单位".to_owned();
    }
    if text.starts_with("no case") {
        return "没有这个案件".to_owned();
    }
    if text.starts_with("unknown field") {
        return "表单中有无法识别的项目".to_owned();
    }
    text.to_owned()
}

/// "label：message", for a summary of errors.
pub fn field_error(field: &str, text: &str) -> String {
    format!("{}：{}", field_label(field), message(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domains_messages_read_in_chinese() {
        assert_eq!(message("is required"), "必须填写");
        assert_eq!(message("must be 1 to 200 characters, got 201"), "应为 1 至 200 个字，现为 201 个字");
        assert_eq!(message("must not be empty (at most 4000 characters)"), "不能为空（最多 4000 个字）");
        assert_eq!(
            message("at most 3 more working days may be granted for this case"),
            "本案件最多还可延期 3 个工作日"
        );
        assert_eq!(field_error("citizen.phone", "is required"), "电话：必须填写");
        assert_eq!(message("something new"), "something new", "untranslated text is shown as it is");
        assert_eq!(message("must be 8 to 128 characters"), "应为 8 至 128 个字符");
        assert_eq!(message("must be from 1 to 366"), "请填写 1 至 366 之间的整数");
        assert_eq!(message("is not in 2027"), "不是 2027 年的日期");
        assert_eq!(
            message("2027-03-03 is a weekday: only a Saturday or Sunday can be a make-up working day"),
            "2027-03-03 是周一至周五：只有周六或周日才能设为调休上班日"
        );
        assert_eq!(message("the username 'wang' is taken"), "用户名 wang 已被使用");
    }
}
