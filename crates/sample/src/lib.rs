//! Realistic Chinese content for portal items, generated from a seed so that the same seed gives
//! the same items on every machine: titles in the style of a department's notices and news, and
//! bodies of paragraphs of government prose at a requested size.
//!
//! Every item is about one of [`TOPICS`]; its topic's key term appears in its title or body. So a
//! benchmark knows how many items a search for a key term should find: about one in
//! `TOPICS.len()`.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// One subject a department writes about, with its four-character key term.
pub struct Topic {
    pub term: &'static str,
    pub actions: &'static [&'static str],
}

/// The subjects, each with a key term of four Chinese characters.
pub const TOPICS: &[Topic] = &[
    Topic {
        term: "垃圾分类",
        actions: &[
            "推进垃圾分类进小区",
            "开展垃圾分类督导",
            "完善垃圾分类收运体系",
        ],
    },
    Topic {
        term: "防汛抗旱",
        actions: &[
            "落实防汛抗旱责任制",
            "排查防汛抗旱隐患点",
            "开展防汛抗旱应急演练",
        ],
    },
    Topic {
        term: "食品安全",
        actions: &[
            "开展食品安全抽检",
            "整治校园周边食品安全",
            "公布食品安全抽检结果",
        ],
    },
    Topic {
        term: "义务教育",
        actions: &[
            "优化义务教育学位供给",
            "规范义务教育招生入学",
            "推进义务教育优质均衡",
        ],
    },
    Topic {
        term: "医疗保障",
        actions: &[
            "扩大医疗保障覆盖面",
            "推进医疗保障异地结算",
            "加强医疗保障基金监管",
        ],
    },
    Topic {
        term: "交通治理",
        actions: &[
            "实施交通治理专项行动",
            "推进交通治理数字化",
            "开展交通治理示范路创建",
        ],
    },
    Topic {
        term: "大气污染",
        actions: &[
            "加强大气污染联防联控",
            "开展大气污染源排查",
            "发布大气污染防治方案",
        ],
    },
    Topic {
        term: "就业创业",
        actions: &[
            "举办就业创业服务月",
            "发放就业创业补贴",
            "建设就业创业孵化基地",
        ],
    },
    Topic {
        term: "养老服务",
        actions: &["建设社区养老服务站", "提升养老服务质量", "推行养老服务补贴"],
    },
    Topic {
        term: "营商环境",
        actions: &["优化营商环境举措", "开展营商环境评价", "推进营商环境改革"],
    },
    Topic {
        term: "安全生产",
        actions: &["开展安全生产大检查", "落实安全生产责任", "组织安全生产培训"],
    },
    Topic {
        term: "乡村振兴",
        actions: &[
            "推进乡村振兴重点项目",
            "开展乡村振兴结对帮扶",
            "总结乡村振兴典型经验",
        ],
    },
    Topic {
        term: "文明城市",
        actions: &[
            "巩固文明城市创建成果",
            "开展文明城市志愿服务",
            "迎接文明城市测评",
        ],
    },
    Topic {
        term: "疫苗接种",
        actions: &[
            "做好疫苗接种服务保障",
            "开设疫苗接种便民门诊",
            "推进适龄儿童疫苗接种",
        ],
    },
    Topic {
        term: "消防安全",
        actions: &["开展消防安全检查", "普及消防安全知识", "整治消防安全隐患"],
    },
    Topic {
        term: "政务公开",
        actions: &["深化政务公开工作", "完善政务公开目录", "开展政务公开培训"],
    },
    Topic {
        term: "社会保险",
        actions: &[
            "办理社会保险参保登记",
            "调整社会保险缴费基数",
            "推进社会保险经办服务",
        ],
    },
    Topic {
        term: "住房保障",
        actions: &[
            "筹集住房保障房源",
            "开展住房保障资格审核",
            "发放住房保障租赁补贴",
        ],
    },
    Topic {
        term: "河湖长制",
        actions: &[
            "全面落实河湖长制",
            "开展河湖长制巡河",
            "通报河湖长制考核结果",
        ],
    },
    Topic {
        term: "科技创新",
        actions: &["支持企业科技创新", "举办科技创新大赛", "建设科技创新平台"],
    },
];

const KINDS: &[&str] = &[
    "的通知",
    "的公告",
    "工作情况",
    "进展情况通报",
    "实施方案",
    "的工作简报",
];
const LEADS: &[&str] = &["关于", "关于进一步", "关于做好", "关于切实加强", "关于印发"];
const SUBJECTS: &[&str] = &[
    "各街道（乡镇）",
    "市直各有关单位",
    "各区县",
    "局属各单位",
    "各社区居委会",
    "有关部门",
    "各级各部门",
];
const DEEDS: &[&str] = &[
    "要高度重视，加强组织领导，明确责任分工",
    "要结合实际，细化工作措施，确保各项任务落到实处",
    "要加强统筹协调，形成工作合力，按时完成各项目标",
    "要广泛宣传发动，营造良好氛围，提高群众知晓率",
    "要建立工作台账，实行清单化管理，定期报送进展情况",
    "要强化督促检查，对工作不力的单位予以通报",
    "要注重总结经验，及时推广好的做法",
    "要畅通群众反映渠道，认真回应群众关切",
];
const FACTS: &[&str] = &[
    "截至目前，全市已累计完成年度任务的百分之八十以上",
    "今年以来，共组织专项检查二百余次，发现并整改问题一千余个",
    "活动期间，共发放宣传资料三万余份，接受群众咨询五千余人次",
    "据统计，本季度相关指标同比提升百分之十二",
    "经过前期努力，各项工作取得阶段性成效",
    "下一步，我们将继续加大工作力度，巩固已有成果",
];
const CLOSINGS: &[&str] = &[
    "特此通知。",
    "联系人：综合科，联系电话：0571-87000000。",
    "请各单位于本月底前将工作情况报送至办公室。",
    "欢迎社会各界监督并提出宝贵意见。",
];

/// One generated item.
pub struct SampleItem {
    pub title: String,
    pub body_html: String,
    /// Index into [`TOPICS`].
    pub topic: usize,
}

/// Writes items from a seed.
pub struct Writer {
    rng: StdRng,
}

impl Writer {
    pub fn new(seed: u64) -> Self {
        Writer {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// A number in `0..n` from this writer's sequence (for callers that spread items over
    /// departments, states or days the same way each time).
    pub fn pick(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }

    /// An item of about `body_bytes` of body (UTF-8, tags included), on a topic of its own.
    pub fn item(&mut self, body_bytes: usize) -> SampleItem {
        let topic = self.pick(TOPICS.len());
        self.item_on(topic, body_bytes)
    }

    /// An item on `TOPICS[topic]`.
    pub fn item_on(&mut self, topic: usize, body_bytes: usize) -> SampleItem {
        let t = &TOPICS[topic % TOPICS.len()];
        let title = format!(
            "{}{}{}",
            self.one(LEADS),
            self.one(t.actions),
            self.one(KINDS)
        );
        let mut body = String::with_capacity(body_bytes + 256);
        body.push_str(&format!("<p>{}：</p>", self.one(SUBJECTS)));
        while body.len() < body_bytes {
            let paragraph = format!(
                "<p>为{}，{}。{}。{}。</p>",
                self.one(t.actions),
                self.one(DEEDS),
                self.one(FACTS),
                self.one(DEEDS),
            );
            body.push_str(&paragraph);
        }
        body.push_str(&format!("<p>{}</p>", self.one(CLOSINGS)));
        SampleItem {
            title,
            body_html: body,
            topic: topic % TOPICS.len(),
        }
    }

    fn one(&mut self, from: &[&'static str]) -> &'static str {
        from.choose(&mut self.rng).copied().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_writes_the_same_items() {
        let a: Vec<String> = (0..5)
            .map(|_| Writer::new(7).item(2048).body_html)
            .collect();
        let mut w = Writer::new(7);
        assert_eq!(w.item(2048).body_html, a[0]);
        let mut other = Writer::new(8);
        assert_ne!(other.item(2048).body_html, a[0]);
    }

    #[test]
    fn an_item_is_about_its_size_and_carries_its_topic_term() {
        let mut w = Writer::new(1);
        for _ in 0..200 {
            let item = w.item(2048);
            assert!(item.body_html.len() >= 2048, "{}", item.body_html.len());
            assert!(
                item.body_html.len() < 2048 + 600,
                "{}",
                item.body_html.len()
            );
            let term = TOPICS[item.topic].term;
            assert!(item.body_html.contains(term) || item.title.contains(term));
            for (i, other) in TOPICS.iter().enumerate() {
                if i != item.topic {
                    assert!(
                        !item.body_html.contains(other.term),
                        "{} in {}",
                        other.term,
                        term
                    );
                }
            }
        }
    }

    #[test]
    fn every_key_term_is_four_characters() {
        for t in TOPICS {
            assert_eq!(t.term.chars().count(), 4, "{}", t.term);
            assert!(t.actions.iter().all(|a| a.contains(t.term)), "{}", t.term);
        }
    }

    #[test]
    fn topics_spread_evenly() {
        let mut w = Writer::new(3);
        let mut seen = [0usize; 20];
        for _ in 0..20_000 {
            seen[w.item(100).topic] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }
}
