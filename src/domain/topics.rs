//! 热点 (hot topics, issue 24): which words of a letter's title count as its
//! topics, and when a topic is rising. Pure functions; `db::topics` keeps
//! the counts and `service::topics` answers `/api/v1/stats/topics`.
//!
//! The search index cuts letters into character bigrams (`domain::text`),
//! which find any two characters a clerk types but are not words: 路灯不亮
//! gives 路灯, 灯不 and 不亮, and a leader reading the hot topics wants
//! 路灯 and 不亮. So topics are the words of a dictionary segmenter (jieba,
//! the segmenter of most Chinese text tools), from the title alone: the
//! title is the letter's subject as the clerk records it, where the content
//! is the citizen's whole account, with its greetings and its history.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{Duration, NaiveDate};
use jieba_rs::Jieba;

use super::text;

/// The segmenter with its built-in dictionary and the office's words,
/// loaded once per process (some tenths of a second, at the first case that
/// needs it).
static SEGMENTER: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for word in MISLEADING_WORDS {
        // Rarest possible: the segmenter then prefers the words around it.
        jieba.add_word(word, Some(1), None);
    }
    for word in OFFICE_WORDS {
        jieba.add_word(word, Some(OFFICE_WORD_FREQUENCY), None);
    }
    jieba
});

/// Entries of the general dictionary that swallow the office's words: with
/// 灯不亮 in it, 路灯不亮 came out as 路 / 灯不亮.
const MISLEADING_WORDS: &[&str] = &["灯不亮", "路路"];

/// How often the office's words count as seen: as a common word of the
/// dictionary (路灯 has 446, 路 some 40,000), so that a title is cut at them.
const OFFICE_WORD_FREQUENCY: usize = 20_000;

/// Words of citizens' letters that the general dictionary lacks or cuts wrongly.
const OFFICE_WORDS: &[&str] = &[
    "路灯",
    "不亮",
    "停水",
    "停电",
    "停车",
    "占道",
    "违建",
    "油烟",
    "扰民",
    "噪音",
    "渣土",
    "积水",
    "漏水",
    "物业费",
    "拖欠",
    "欠薪",
    "农民工",
    "社保",
    "医保",
    "低保",
    "学位",
    "入学",
    "拆迁",
    "征地",
    "补偿款",
    "供暖",
    "燃气",
    "公交",
    "网约车",
    "广场舞",
    "充电桩",
    "电梯",
    "加装电梯",
    "井盖",
    "垃圾分类",
    "黑臭水体",
];

/// A category's entry among the topics: `#` and its code (a word never
/// begins with `#`, as normalisation keeps letters and digits only).
pub const CATEGORY_PREFIX: char = '#';

/// At most this many words of one title count (a title is short; this only
/// bounds what a pasted paragraph could add).
pub const MAX_WORDS_PER_CASE: usize = 24;

/// A word longer than this many characters is not a topic (a run of digits
/// or letters the segmenter could not cut).
const MAX_WORD_CHARS: usize = 12;

/// Words of nearly every title — what a letter is (反映, 投诉, 问题), how it
/// asks (希望, 要求, 尽快) — which say nothing about what it is about.
const STOP_WORDS: &[&str] = &[
    "关于",
    "问题",
    "反映",
    "情况",
    "要求",
    "希望",
    "请求",
    "咨询",
    "投诉",
    "建议",
    "举报",
    "申请",
    "求助",
    "我们",
    "你们",
    "他们",
    "自己",
    "本人",
    "没有",
    "一直",
    "什么",
    "怎么",
    "如何",
    "为什么",
    "是否",
    "可以",
    "能否",
    "进行",
    "相关",
    "有关",
    "部门",
    "领导",
    "尽快",
    "处理",
    "解决",
    "现在",
    "目前",
    "已经",
    "还是",
    "但是",
    "因为",
    "所以",
    "这个",
    "那个",
    "一个",
    "不能",
    "不是",
    "这样",
    "多次",
    "存在",
    "导致",
    "造成",
    "给予",
    "予以",
    "答复",
    "回复",
    "您好",
    "谢谢",
    "市民",
    "群众",
    "问询",
    "事宜",
    "一事",
    "事情",
    "解答",
    "帮助",
    "协调",
    "落实",
    "核实",
    "查处",
    "整改",
    "恳请",
    "请问",
    "询问",
    "能不能",
    "为何",
    "长期",
];

/// The topics of a case: the distinct words of its title (normalised, its
/// boilerplate removed, stop words and single characters left out, at most
/// [`MAX_WORDS_PER_CASE`] in the order they appear) and its category.
pub fn of_case(title: &str, category: Option<&str>) -> BTreeSet<String> {
    let mut topics: BTreeSet<String> = words(title).into_iter().collect();
    if let Some(code) = category.filter(|c| !c.is_empty()) {
        topics.insert(category_term(code));
    }
    topics
}

/// The topic words of `title`, in order of appearance, without repeats.
pub fn words(title: &str) -> Vec<String> {
    let normalized = text::without_boilerplate(&text::normalize(title));
    let mut seen = BTreeSet::new();
    let mut words = Vec::new();
    for token in SEGMENTER.cut(&normalized, false) {
        let word = token.word;
        let chars = word.chars().count();
        if !(2..=MAX_WORD_CHARS).contains(&chars) {
            continue;
        }
        if word.chars().all(|c| c.is_ascii_digit()) || STOP_WORDS.contains(&word) {
            continue;
        }
        if seen.insert(word) {
            words.push(word.to_owned());
            if words.len() == MAX_WORDS_PER_CASE {
                break;
            }
        }
    }
    words
}

/// The topic entry of category `code`.
pub fn category_term(code: &str) -> String {
    format!("{CATEGORY_PREFIX}{code}")
}

/// The category code of a topic entry, if it is one.
pub fn category_code(term: &str) -> Option<&str> {
    term.strip_prefix(CATEGORY_PREFIX)
}

/// The least cases of the last week that make a topic rising.
pub const RISING_MIN_CASES: i64 = 10;

/// Weeks before the last that a rising topic is compared with.
pub const RISING_WEEKS_BEFORE: i64 = 4;

/// Whether a topic is rising: its last week holds at least
/// [`RISING_MIN_CASES`] cases and more than twice its weekly mean over the
/// [`RISING_WEEKS_BEFORE`] weeks before (`weeks_before` summed). A topic new
/// this week, with ten cases, is rising.
pub fn is_rising(last_week: i64, weeks_before: i64) -> bool {
    // last > 2 × (before / 4), in integers.
    last_week >= RISING_MIN_CASES && last_week * RISING_WEEKS_BEFORE > 2 * weeks_before
}

/// The last week of a period ending (exclusive) at `to`, and the weeks it is
/// compared with: ([week_from, to), [before_from, week_from)).
pub fn weeks(to: NaiveDate) -> ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate)) {
    let week_from = to - Duration::days(7);
    let before_from = week_from - Duration::days(7 * RISING_WEEKS_BEFORE);
    ((week_from, to), (before_from, week_from))
}

/// The period of equal length just before [from, to).
pub fn previous_period(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    (from - (to - from), from)
}

/// How the figures of `/stats/topics` are counted, in the report's words.
pub const DEFINITION: &str = "热点按受理日期统计：每件计入统计的来件（不含无效件和并单件）按其标题分词，\
去掉单字、纯数字和“反映”“问题”“希望”等常用词，每个词每件至多计一次；类别按来件所选类别计。\
环比为与紧邻的等长上一期相比。近一周（统计期最后7天）不少于10件，且超过此前4周周均的2倍，标为上升热点。";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_gives_its_words_without_stop_words_or_boilerplate() {
        let words = words("关于小区路灯不亮的问题，希望有关部门尽快处理！");
        assert!(words.contains(&"路灯".to_owned()), "{words:?}");
        assert!(words.contains(&"小区".to_owned()), "{words:?}");
        for stop in ["关于", "问题", "希望", "尽快", "处理", "的"] {
            assert!(!words.contains(&stop.to_owned()), "{stop} in {words:?}");
        }
    }

    #[test]
    fn width_and_punctuation_do_not_make_other_words() {
        assert_eq!(words("噪音扰民"), words("噪音，扰民！"));
        assert_eq!(words("ＡＢＣ小区噪音"), words("abc小区噪音"));
        assert!(words("2024年12345").iter().all(|w| !w.chars().all(|c| c.is_ascii_digit())));
    }

    #[test]
    fn a_word_counts_once_per_case_and_the_category_is_an_entry() {
        let topics = of_case("路灯 路灯 路灯", Some("urban"));
        assert_eq!(topics.iter().filter(|t| *t == "路灯").count(), 1);
        assert!(topics.contains("#urban"));
        assert_eq!(category_code("#urban"), Some("urban"));
        assert_eq!(category_code("路灯"), None);
    }

    #[test]
    fn rising_needs_ten_cases_and_more_than_twice_the_mean() {
        // Mean of the four weeks before: 20 / 4 = 5; twice it is 10.
        assert!(!is_rising(10, 20));
        assert!(is_rising(11, 20));
        assert!(!is_rising(9, 0));
        assert!(is_rising(10, 0));
        assert!(!is_rising(100, 200));
        assert!(is_rising(101, 200));
    }

    #[test]
    fn the_weeks_end_at_the_period_end() {
        let to = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let ((wf, wt), (bf, bt)) = weeks(to);
        assert_eq!((wt - wf).num_days(), 7);
        assert_eq!(wt, to);
        assert_eq!(bt, wf);
        assert_eq!((bt - bf).num_days(), 28);
        let (pf, pt) = previous_period(NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(), to);
        assert_eq!(pt, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        assert_eq!(pf, NaiveDate::from_ymd_opt(2026, 1, 4).unwrap());
    }
}
