//! The domain's names in the words the office uses on its pages: states,
//! actions, ratings. Kept beside the pages, so the domain and the API keep
//! their stable codes.

use crate::domain::event::EventKind;
use crate::domain::lifecycle::{Action, CaseState};
use crate::domain::rating::Rating;
use crate::domain::rectification::RectificationState;

/// A state in Chinese.
pub fn state(state: CaseState) -> &'static str {
    match state {
        CaseState::Registered => "已登记（待分办）",
        CaseState::Assigned => "已交办（待签收）",
        CaseState::Processing => "办理中",
        CaseState::Reviewing => "待审核",
        CaseState::Closed => "已办结",
        CaseState::Invalid => "不予受理",
        CaseState::Merged => "已并单（并入他件）",
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
        Action::Callback => "录入回访",
        Action::Appeal => "对差评提出申诉",
        Action::DecideAppeal => "申诉复核",
        Action::Merge => "并单（并入他件办理）",
        Action::Unmerge => "撤销并单",
    }
}

/// Where a 差评整改 stands, in Chinese.
pub fn rectification(state: RectificationState) -> &'static str {
    match state {
        RectificationState::Open => "待整改",
        RectificationState::Appealed => "已申诉，待复核",
        RectificationState::Upheld => "申诉成立，评价已核减",
        RectificationState::Rejected => "申诉未获同意，待重办整改",
        RectificationState::Done => "已整改（重办后办结）",
    }
}

/// An entry of the audit trail in Chinese.
pub fn event(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Register => "登记",
        EventKind::Action(a) => action(a),
        EventKind::Overdue => "已超期（系统记录）",
        EventKind::DueSoon => "即将到期（系统记录）",
    }
}

/// A case's deadline in words, as the list and the case page show it:
/// 剩余 n 个工作日, 今日到期, 已超期 (with how long, when known), 暂停计时,
/// 已结束 for a case no longer open.
pub fn deadline(state: CaseState, suspended: bool, overdue: bool, remaining_workdays: Option<i64>) -> String {
    if !state.is_open() {
        return "已结束".to_owned();
    }
    if suspended {
        return "暂停计时".to_owned();
    }
    match remaining_workdays {
        Some(n) if overdue && n < 0 => format!("已超期 {} 个工作日", -n),
        _ if overdue => "已超期".to_owned(),
        Some(0) => "今日到期".to_owned(),
        Some(n) if n > 0 => format!("剩余 {n} 个工作日"),
        Some(_) => "已超期".to_owned(),
        None => "—".to_owned(),
    }
}

/// A rating in Chinese.
pub fn rating(rating: Rating) -> &'static str {
    match rating {
        Rating::VerySatisfied => "非常满意",
        Rating::Satisfied => "满意",
        Rating::BasicallySatisfied => "基本满意",
        Rating::Unsatisfied => "不满意",
        Rating::VeryUnsatisfied => "非常不满意",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_says_how_long_is_left() {
        assert_eq!(deadline(CaseState::Processing, false, false, Some(3)), "剩余 3 个工作日");
        assert_eq!(deadline(CaseState::Processing, false, false, Some(0)), "今日到期");
        assert_eq!(deadline(CaseState::Processing, false, true, Some(-2)), "已超期 2 个工作日");
        assert_eq!(deadline(CaseState::Assigned, false, true, None), "已超期");
        assert_eq!(deadline(CaseState::Processing, true, true, Some(-2)), "暂停计时", "the clock is stopped");
        assert_eq!(deadline(CaseState::Closed, false, false, Some(5)), "已结束");
    }
}
