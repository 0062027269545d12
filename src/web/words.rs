//! The domain's names in the words the office uses on its pages: states,
//! actions, ratings. Kept beside the pages, so the domain and the API keep
//! their stable codes.

use crate::domain::lifecycle::{Action, CaseState};
use crate::domain::rating::Rating;

/// A state in Chinese.
pub fn state(state: CaseState) -> &'static str {
    match state {
        CaseState::Registered => "已登记（待分办）",
        CaseState::Assigned => "已交办（待签收）",
        CaseState::Processing => "办理中",
        CaseState::Reviewing => "待审核",
        CaseState::Closed => "已办结",
        CaseState::Invalid => "不予受理",
    }
}

/// An action in Chinese, as its button says it.
pub fn action(action: Action) -> &'static str {
    match action {
        Action::Assign => "交办",
        Action::Accept => "签收",
        Action::Return => "退回",
        Action::Reply => "提交答复",
        Action::Approve => "审核通过并办结",
        Action::RejectReply => "驳回答复",
        Action::RequestExtension => "申请延期",
        Action::DecideExtension => "审批延期申请",
        Action::Supervise => "督办",
        Action::Invalidate => "不予受理",
        Action::Suspend => "暂停计时",
        Action::Resume => "恢复计时",
        Action::Reopen => "重办",
        Action::Rate => "录入评价",
        Action::MarkDuplicate => "标记为重复件",
        Action::Publish => "同意选登（公开来信和答复）",
        Action::Unpublish => "撤销选登",
    }
}

/// An event of the audit trail in Chinese (actions, and what the system
/// records on its own); unknown names are shown as stored.
pub fn event(name: &str) -> String {
    if let Some(a) = Action::parse(name) {
        return action(a).to_owned();
    }
    match name {
        "register" | "registered" | "create" | "created" | "intake" => "登记".to_owned(),
        "overdue" => "已超期（系统记录）".to_owned(),
        "due_soon" => "即将到期（系统记录）".to_owned(),
        "public_rate" | "citizen_rate" => "群众评价".to_owned(),
        other => other.to_owned(),
    }
}

/// A rating in Chinese.
pub fn rating(rating: Rating) -> &'static str {
    match rating {
        Rating::Satisfied => "满意",
        Rating::BasicallySatisfied => "基本满意",
        Rating::Unsatisfied => "不满意",
    }
}
