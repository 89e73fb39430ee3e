//! Deterministic benchmark corpus for leaksweep.
//!
//! ```text
//! cargo run --release --example gen_corpus -- --size 1G --out DIR [--seed N] [--kind archive|directory|both] [--mentions PCT]
//! ```
//!
//! Writes, into `DIR`:
//!
//! * `archive.jsonl`: WeCom session-archive (会话内容存档) lines, one JSON object
//!   a line, as the finance SDK dumps them: `msgid` (`CAQQ…=` or
//!   `<19 digits>_<13 digits>_external`), `action`, `from`, `tolist`, `roomid`,
//!   `msgtime` (13-digit ms) and `msgtype`, plus the payload under the
//!   `msgtype` key. Mostly `text`; some `file`, `link`, `location` and
//!   `chatrecord` (whose `item[].content` is JSON inside a string). Chat text
//!   is composed from a few hundred common words and phrases embedded below
//!   and tuned so that about 47% of the bytes are UTF-8 multi-byte (Chinese)
//!   and about 17% are ASCII digits. About 2% of the messages plant an
//!   identifier next to its context word (身份证号 + a MOD 11-2-valid resident
//!   ID, 手机 + a mobile in several written forms, 卡号 + a Luhn-valid 62… card,
//!   邮箱 + an email) and about 3% hold look-alikes (订单号, 快递单号, 13-digit
//!   timestamps, prices, dates). About 5% of the lines are written ASCII-only,
//!   with `\uXXXX` escapes, as some dumpers do. With `--mentions PCT`, that
//!   share of the text messages in group rooms starts with a mention
//!   (`@李明 `), as group chat does; the default, 0, keeps the corpus of
//!   earlier runs byte for byte.
//! * `directory.csv`: a WeCom console member export (`姓名,帐号,职务,部门,手机,
//!   座机,个人邮箱,地址`), UTF-8, about 10% of the total with `--kind both`.
//!
//! `--size` takes a byte count with an optional `K`, `M` or `G` suffix (powers
//! of 1024); the files add up to exactly that size (the last record of each
//! file is padded), unless it is too small to hold one record. The same seed
//! and size always give byte-identical files: the only randomness is the
//! splitmix64 generator below. A one-line summary goes to stderr.
//!
//! Every value is synthetic: resident IDs use county-level GB/T 2260 codes
//! and birth dates in 1950–2005, emails use `example.*` domains, cards use
//! UnionPay BINs with a computed Luhn digit. Any match with a real person or
//! account is a coincidence.
//!
//! Only the standard library is used.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread::{self, JoinHandle};
use std::time::Instant;

// ---------------------------------------------------------------------------
// Embedded vocabulary. No entry may contain an ASCII `"`, `\`, `,` or a line
// break: text goes into JSON strings and CSV fields unescaped.
// ---------------------------------------------------------------------------

/// County-level GB/T 2260 codes (none ends in 00), evenly spaced through
/// `/work/shared/data/gbt2260-codes.txt`.
const REGIONS: [u32; 50] = [
    120225, 130630, 132233, 132931, 140824, 142533, 150929, 210224, 212102, 222322, 230703, 232324,
    320115, 320904, 329005, 330726, 339005, 341225, 350122, 352231, 360722, 362424, 370630, 371726,
    379014, 410825, 412229, 420115, 422124, 430281, 432126, 440126, 440982, 442524, 450203, 452131,
    469022, 510281, 511503, 512626, 513437, 522229, 530724, 533123, 542226, 610526, 612624, 622424,
    640122, 652925,
];

/// Current mobile segments (spec §2), weighted towards the common ones.
const MOBILE_PREFIXES: [u32; 40] = [
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
    166, 173, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199, 135,
    138, 139,
];

/// UnionPay BINs from spec §3 with their card lengths.
#[rustfmt::skip]
const CARD_BINS: [(&str, usize); 14] = [
    ("622202", 19), ("622208", 19), ("621226", 19), ("622848", 19), ("622845", 19), ("621660", 19),
    ("621700", 19), ("622700", 19), ("622260", 17), ("622588", 16), ("621483", 16), ("622575", 16),
    ("621799", 19), ("622188", 19),
];

/// Surnames with their pinyin.
#[rustfmt::skip]
const SURNAMES: [(&str, &str); 40] = [
    ("张", "Zhang"), ("王", "Wang"), ("李", "Li"), ("赵", "Zhao"), ("刘", "Liu"), ("陈", "Chen"),
    ("杨", "Yang"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("高", "Gao"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"),
    ("袁", "Yuan"), ("蔡", "Cai"), ("蒋", "Jiang"), ("余", "Yu"),
];

/// Given names with their pinyin.
#[rustfmt::skip]
const GIVEN: [(&str, &str); 48] = [
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"),
    ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"),
    ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"),
    ("秀英", "XiuYing"), ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("桂英", "GuiYing"),
    ("建华", "JianHua"), ("志强", "ZhiQiang"), ("晓东", "XiaoDong"), ("海燕", "HaiYan"),
    ("婷", "Ting"), ("雪", "Xue"), ("浩", "Hao"), ("宇", "Yu"), ("鹏", "Peng"), ("欣怡", "XinYi"),
    ("子涵", "ZiHan"), ("思远", "SiYuan"), ("俊", "Jun"), ("琳", "Lin"), ("文博", "WenBo"),
    ("雨桐", "YuTong"), ("佳琪", "JiaQi"), ("国庆", "GuoQing"), ("丹", "Dan"), ("斌", "Bin"),
    ("慧", "Hui"), ("凯", "Kai"), ("晨", "Chen"), ("倩", "Qian"), ("振华", "ZhenHua"),
    ("红梅", "HongMei"),
];

/// How colleagues address each other.
#[rustfmt::skip]
const HONORIFICS: [&str; 10] = [
    "总", "经理", "老师", "工", "姐", "哥", "主管", "主任", "总监", "同学",
];

/// Documents and work items.
#[rustfmt::skip]
const OBJECTS: [&str; 48] = [
    "合同", "报价单", "方案", "需求文档", "周报", "月报", "发票", "会议纪要", "排期表", "测试报告",
    "上线计划", "预算表", "采购申请", "报销单", "立项材料", "设计稿", "接口文档", "用户手册",
    "验收单", "投标文件", "招聘需求", "培训计划", "绩效表", "考勤记录", "入职材料", "项目进度表",
    "客户名单", "对账单", "出差申请", "用印申请", "数据报表", "竞品分析", "产品原型", "版本说明",
    "故障报告", "运维手册", "值班表", "活动方案", "宣传海报", "年会节目单", "框架协议", "付款申请",
    "样品清单", "物料清单", "质检报告", "交付计划", "复盘材料", "季度规划",
];

/// Time words.
#[rustfmt::skip]
const WHEN: [&str; 20] = [
    "今天", "明天", "后天", "本周五", "下周一", "下周三", "月底前", "今天下班前", "明天上午",
    "明天下午", "周末", "下个月初", "节后", "晚点", "一会儿", "中午", "今晚", "这周内", "下午",
    "上午",
];

/// Things to do with a document.
#[rustfmt::skip]
const ACTIONS: [&str; 24] = [
    "确认一下", "再核对一遍", "发我一份", "更新到共享盘", "提交审批", "走一下流程", "过一遍",
    "补充完整", "同步给客户", "打印出来", "盖个章", "归档", "签个字", "抄送财务", "改一下格式",
    "发到群里", "上传到微盘", "转给法务看看", "跟进一下", "排个期", "整理一下", "对一下数据",
    "再优化一下", "发邮件确认",
];

/// Short replies.
#[rustfmt::skip]
const REPLIES: [&str; 32] = [
    "好的", "收到", "收到，谢谢", "好的，我看一下", "没问题", "明白", "马上处理", "稍等", "辛苦了",
    "谢谢", "了解", "可以", "行", "我这边没问题", "我在路上，晚点回复", "已处理", "已提交",
    "等我一下", "👍", "[强]", "[抱拳]", "[OK]", "哈哈哈", "好嘞", "收到，马上安排", "好的，辛苦",
    "这个我来跟", "我问一下再回复你", "没看到，能再发一次吗", "今天有点忙，明天看", "嗯嗯",
    "感谢🙏",
];

/// Departments.
#[rustfmt::skip]
const DEPARTMENTS: [&str; 16] = [
    "研发部", "产品部", "市场部", "销售部", "人力资源部", "财务部", "行政部", "法务部", "客服部",
    "运营部", "采购部", "质量部", "技术支持部", "战略部", "审计部", "供应链部",
];

/// Job titles.
#[rustfmt::skip]
const TITLES: [&str; 24] = [
    "后端工程师", "前端工程师", "测试工程师", "运维工程师", "产品经理", "项目经理", "招聘专员",
    "大客户经理", "销售代表", "市场专员", "财务主管", "会计", "出纳", "行政专员", "法务顾问",
    "设计师", "数据分析师", "部门经理", "总监", "实习生", "客服专员", "采购专员", "架构师",
    "人事经理",
];

/// Cities with districts.
#[rustfmt::skip]
const CITIES: [&str; 16] = [
    "北京市海淀区", "北京市朝阳区", "上海市浦东新区", "上海市徐汇区", "广州市天河区",
    "深圳市南山区", "深圳市福田区", "杭州市西湖区", "成都市武侯区", "武汉市洪山区", "南京市鼓楼区",
    "西安市雁塔区", "苏州市工业园区", "重庆市渝北区", "天津市河西区", "长沙市岳麓区",
];

/// Road names.
#[rustfmt::skip]
const ROADS: [&str; 16] = [
    "解放路", "人民路", "中山路", "科苑路", "学院路", "建设路", "新华路", "长江路", "和平路",
    "文化路", "滨江大道", "高新大道", "软件园路", "创业路", "环城东路", "花园街",
];

/// Meeting places.
#[rustfmt::skip]
const PLACES: [&str; 10] = [
    "大会议室", "小会议室", "培训室", "前台", "食堂", "客户现场", "机房", "园区东门", "茶水间",
    "二期厂区",
];

/// Meetings.
#[rustfmt::skip]
const MEETINGS: [&str; 10] = [
    "周例会", "项目评审会", "需求评审", "季度复盘会", "预算沟通会", "入职说明会", "客户沟通会",
    "技术分享", "安全培训", "上线复盘",
];

/// Neutral fillers for padding.
#[rustfmt::skip]
const FILLERS: [&str; 12] = [
    "好的", "收到", "嗯", "了解", "谢谢", "可以", "明白", "行", "对", "是的", "辛苦", "稍等",
];

/// Chat templates. `{x}` is a slot: P person, O object, W time word, A action,
/// R reply, E department, L place, G meeting, h hour, T hh:mm, D yyyy-mm-dd,
/// d m月d日, n 1–30, k 100–9999, $ amount, M meeting number, V version,
/// F floor and room, X extension, Q percent, J ticket, Y year.
const TEMPLATES: [&str; 76] = [
    "{P}，{O}我已经发到群里了，麻烦{W}{A}。",
    "{W}{T}在{F}开{G}，请大家准时参加。",
    "腾讯会议：{M}，主题：{O}评审，时间{d}{T}。",
    "{O}的报价是{$}元，含税，账期{n}天。",
    "{R}",
    "{R}，{W}{A}。",
    "{P}，{O}需要{W}{A}，{E}那边在等。",
    "这个月{E}的{O}一共{k}份，还有{n}份没交。",
    "{D}的{O}我看了，第{n}页的数据和上次不一样，麻烦{A}。",
    "版本{V}已经发布，改动见{O}第{n}节。",
    "{P}，客户说{O}里的单价{$}元偏高，能不能再降{Q}？",
    "我{W}{h}点到{L}，{P}你在吗？",
    "报销了{$}元，发票{n}张，{P}帮忙{A}。",
    "有事打我座机分机{X}。",
    "{E}{Y}年预算{k}万，已经用了{Q}。",
    "{J}已经处理完了，{P}看一下。",
    "{d}{T}-{T} {F}，{G}。",
    "收到，{O}{W}给你。",
    "{P}，{W}能把{O}{A}吗？",
    "今天{L}人有点多，我们{T}再去。",
    "库存还剩{k}件，{W}要补{k}件，{E}确认一下。",
    "上周完成率{Q}，本周目标{Q}。",
    "{O}第{n}版已上传微盘，路径：项目/{Y}/{O}_v{n}。",
    "航班{d}{T}起飞，酒店订了{n}晚，每晚{$}元。",
    "打卡记录显示{d}{T}，{P}核实一下。",
    "这个需求估{n}人天，排在{V}。",
    "{P}：{R}",
    "{E}和{E}{W}{T}对一下{O}。",
    "会议纪要：1. {O}{W}定稿；2. {O}{A}；3. 下次会议{d}{T}。",
    "服务器{n}号机CPU {Q}，内存{Q}，磁盘剩{k}G。",
    "合同金额{$}元，首付{Q}，尾款{$}元{d}前付清。",
    "{Y}年第{n}季度销售额{$}万元，同比增长{Q}。",
    "这批货{k}箱，{d}到仓，{P}安排一下卸货。",
    "新同事{W}入职，工位{F}，电脑编号{k}。",
    "{P}，{O}里第{n}行到第{k}行的公式有问题。",
    "我请假{n}天，{d}到{d}，工作交给{P}。",
    "{O}已盖章，原件在{L}，{P}{W}来取。",
    "{R}，{O}我{W}{A}。",
    "客户{d}{T}到公司，{F}接待，{n}个人。",
    "今天{h}点之前把{O}发给{P}，谢谢。",
    "测试发现{n}个问题，其中严重{n}个，已提单{J}。",
    "年会{d}晚上{h}点，地点{F}，每人预算{$}元。",
    "{P}在吗？{O}那块{W}聊一下？",
    "先这样，{W}再说。",
    "{O}已经{A}了，{R}",
    "快到了，还有{n}分钟。",
    "停车场B{n}区{k}号车位，{P}的车挡住了。",
    "大家{W}把{O}交一下，截止{d}{T}。",
    "{P}，你的快递到{L}了。",
    "活动报名{k}人，到场{k}人，转化率{Q}。",
    "{D}至{D}共{n}个工作日，加班{n}小时。",
    "{P}，{R}",
    "中午一起吃饭吗？{L}还是外面？",
    "{O}还差{E}的签字，{P}{W}能签吗？",
    "会议室{F}已经订好，{d}{T}到{T}。",
    "这个bug在{V}修了，{J}可以关了。",
    "我{W}在{L}，有事微信说。",
    "单价{$}元，数量{k}，合计{$}元，税率{Q}。",
    "刚开完{G}，结论：{O}{W}{A}。",
    "{P}，你看下{O}第{n}条是不是写错了。",
    "{E}日报：新增客户{k}个，跟进{k}个，签约{n}个，回款{$}元。",
    "库存盘点：一号仓{k}件，二号仓{k}件，三号仓{k}件，差异{n}件。",
    "{D}考勤：迟到{n}人，请假{n}人，出勤率{Q}。",
    "报价明细：单价{$}元，数量{k}，运费{$}元，合计{$}元。",
    "会议改到{D} {T}，地点{F}，腾讯会议{M}。",
    "本月指标：营收{$}万，毛利{Q}，回款{Q}，人均{k}。",
    "打卡记录：{D} {T}上班，{D} {T}下班。",
    "预算{$}元，已用{$}元，剩余{$}元，{P}注意控制。",
    "{Y}年{n}月{n}日到{Y}年{n}月{n}日，共{n}天，{P}确认一下。",
    "第{n}周数据：访问{k}次，注册{k}人，下单{k}笔，客单价{$}元。",
    "{P}，{d}{T}的车票，{n}车{n}号，票价{$}元。",
    "采购{k}台，单价{$}元，{d}到货，质保{n}个月。",
    "机房温度{n}度，湿度{Q}，{n}号机柜功率{k}瓦。",
    "{O}共{k}字，{n}张图，{n}个附件，{D}前提交。",
    "工资{d}发，社保{d}扣，公积金比例{Q}。",
    "门禁卡{k}号，工位{F}，{W}找行政领。",
];

/// Number of look-alike message kinds in [`Gen::lookalike`].
const LOOKALIKE_KINDS: usize = 6;

/// A template cut into literal text and slots, once, so that expanding it is
/// a few `extend_from_slice` calls.
enum Piece {
    Text(&'static str),
    Slot(u8),
}

/// [`TEMPLATES`], parsed.
fn templates() -> &'static [Vec<Piece>] {
    static PARSED: OnceLock<Vec<Vec<Piece>>> = OnceLock::new();
    PARSED.get_or_init(|| {
        TEMPLATES
            .iter()
            .map(|t| {
                let mut pieces = Vec::new();
                let mut rest = *t;
                while let Some(open) = rest.find('{') {
                    if open > 0 {
                        pieces.push(Piece::Text(&rest[..open]));
                    }
                    let b = rest.as_bytes();
                    assert_eq!(b.get(open + 2), Some(&b'}'), "bad slot in {t:?}");
                    pieces.push(Piece::Slot(b[open + 1]));
                    rest = &rest[open + 3..];
                }
                if !rest.is_empty() {
                    pieces.push(Piece::Text(rest));
                }
                pieces
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

/// splitmix64 (Steele, Lea, Flood 2014): small, fast, and the same on every
/// platform, which is what makes the corpus reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_10k` / 10 000.
    fn chance(&mut self, per_10k: u64) -> bool {
        self.below(10_000) < per_10k
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------
// Check digits
// ---------------------------------------------------------------------------

/// GB 11643 / ISO 7064 MOD 11-2 check character of a 17-digit ID body.
fn mod11_2(body: &[u8; 17]) -> u8 {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = body
        .iter()
        .zip(W)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum();
    b"10X98765432"[(s % 11) as usize]
}

/// Luhn check digit to append to `body` (ASCII digits).
fn luhn_digit(body: &[u8]) -> u8 {
    let mut sum = 0;
    for (i, &c) in body.iter().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    b'0' + ((10 - sum % 10) % 10) as u8
}

// ---------------------------------------------------------------------------
// Output helpers
// ---------------------------------------------------------------------------

/// Appends `n` in decimal.
fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends `n` zero-padded to `width` digits.
fn push_padded(buf: &mut Vec<u8>, n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut m = n;
    for slot in tmp[20 - width..].iter_mut().rev() {
        *slot = b'0' + (m % 10) as u8;
        m /= 10;
    }
    buf.extend_from_slice(&tmp[20 - width..]);
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `n` characters drawn from `alphabet` (ten per random word).
fn push_random(rng: &mut Rng, buf: &mut Vec<u8>, alphabet: &[u8], n: usize) {
    let len = alphabet.len() as u64;
    let mut left = n;
    while left > 0 {
        let mut r = rng.next();
        for _ in 0..left.min(10) {
            buf.push(alphabet[(r % len) as usize]);
            r /= len;
        }
        left -= left.min(10);
    }
}

/// Appends `n` random decimal digits.
fn push_digits(rng: &mut Rng, buf: &mut Vec<u8>, n: usize) {
    let mut left = n;
    while left > 0 {
        let k = left.min(18);
        push_padded(buf, rng.below(10u64.pow(k as u32)), k);
        left -= k;
    }
}

/// Rewrites a JSON line so that it is pure ASCII: every non-ASCII character
/// becomes `\uXXXX` (a surrogate pair above U+FFFF), as Python's
/// `json.dumps(ensure_ascii=True)` and several archive dumpers write it.
fn push_ascii_escaped(out: &mut Vec<u8>, line: &[u8]) {
    let text = std::str::from_utf8(line).expect("generated lines are UTF-8");
    let mut units = [0u16; 2];
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
            continue;
        }
        for &u in c.encode_utf16(&mut units).iter() {
            out.extend_from_slice(b"\\u");
            for shift in [12, 8, 4, 0] {
                out.push(HEX[usize::from((u >> shift) & 0xF)]);
            }
        }
    }
}

/// Appends exactly `k` bytes of harmless chat filler (no digits).
fn push_filler(rng: &mut Rng, buf: &mut Vec<u8>, mut k: usize) {
    while k >= 24 {
        let w = rng.pick(&FILLERS);
        buf.extend_from_slice("，".as_bytes());
        buf.extend_from_slice(w.as_bytes());
        k -= w.len() + 3;
    }
    while k >= 3 {
        buf.extend_from_slice("嗯".as_bytes());
        k -= 3;
    }
    buf.extend(std::iter::repeat_n(b'~', k));
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

/// What was written, for the summary line.
#[derive(Default, Clone, Copy)]
struct Stats {
    messages: u64,
    escaped: u64,
    rows: u64,
    id: u64,
    mobile: u64,
    card: u64,
    email: u64,
    lookalikes: u64,
    dir_mobile: u64,
    dir_landline: u64,
    dir_email: u64,
}

/// Byte counts of a written file.
#[derive(Default, Clone, Copy)]
struct Counts {
    bytes: u64,
    multibyte: u64,
    digits: u64,
}

impl Counts {
    fn add(&mut self, chunk: &[u8]) {
        // Byte-wide counters over blocks of 255 bytes vectorize well.
        for block in chunk.chunks(255) {
            let (mut hi, mut dg) = (0u8, 0u8);
            for &b in block {
                hi += b >> 7;
                dg += u8::from(b.wrapping_sub(b'0') < 10);
            }
            self.multibyte += u64::from(hi);
            self.digits += u64::from(dg);
        }
        self.bytes += chunk.len() as u64;
    }
}

const FLUSH_AT: usize = 8 << 20;
const BUF_CAPACITY: usize = FLUSH_AT + (64 << 10);

/// An output file behind a writer thread. The generator fills `buf`; full
/// buffers go to the thread, which counts their bytes and writes them
/// through a `BufWriter`, so generating and writing overlap. Emptied buffers
/// come back for reuse.
struct Sink {
    buf: Vec<u8>,
    written: u64,
    full: Option<SyncSender<Vec<u8>>>,
    empty: Receiver<Vec<u8>>,
    writer: Option<JoinHandle<io::Result<Counts>>>,
}

impl Sink {
    fn create(path: &Path) -> io::Result<Sink> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let (full_tx, full_rx) = sync_channel::<Vec<u8>>(2);
        let (empty_tx, empty_rx) = channel::<Vec<u8>>();
        let writer = thread::spawn(move || -> io::Result<Counts> {
            let mut counts = Counts::default();
            for mut buf in full_rx {
                counts.add(&buf);
                out.write_all(&buf)?;
                buf.clear();
                // The generator may be gone already; then the buffer is dropped.
                let _ = empty_tx.send(buf);
            }
            out.flush()?;
            Ok(counts)
        });
        Ok(Sink {
            buf: Vec::with_capacity(BUF_CAPACITY),
            written: 0,
            full: Some(full_tx),
            empty: empty_rx,
            writer: Some(writer),
        })
    }

    /// Bytes produced so far, handed over or not.
    fn len(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BUF_CAPACITY));
        let full = std::mem::replace(&mut self.buf, next);
        self.written += full.len() as u64;
        let sender = self.full.as_ref().expect("sink not finished");
        if sender.send(full).is_err() {
            // The writer stopped on an error: report it.
            self.full = None;
            return self.join().map(|_| ());
        }
        Ok(())
    }

    fn join(&mut self) -> io::Result<Counts> {
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("writer thread panicked")),
            None => Err(io::Error::other("writer thread already stopped")),
        }
    }

    /// Hands over what is left and waits for the writer.
    fn finish(mut self) -> io::Result<Counts> {
        if !self.buf.is_empty() {
            self.flush()?;
        }
        self.full = None;
        self.join()
    }
}

// ---------------------------------------------------------------------------
// People and conversations
// ---------------------------------------------------------------------------

struct Person {
    name: String,
    userid: String,
}

fn make_person(rng: &mut Rng) -> Person {
    let (s, sp) = *rng.pick(&SURNAMES);
    let (g, gp) = *rng.pick(&GIVEN);
    let mut userid = format!("{sp}{gp}");
    if rng.chance(2500) {
        userid.push_str(&rng.range(2, 99).to_string());
    }
    Person {
        name: format!("{s}{g}"),
        userid,
    }
}

struct Conversation {
    roomid: String,
    members: Vec<String>,
}

/// The chat generator: one per output file, seeded from `--seed`.
struct Gen {
    rng: Rng,
    /// Share (percent) of group-room text messages that start with a
    /// mention.
    mentions: u64,
    people: Vec<Person>,
    convs: Vec<Conversation>,
    conv: usize,
    msgtime: u64,
    stats: Stats,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        let mut rng = Rng(seed);
        let people: Vec<Person> = (0..300).map(|_| make_person(&mut rng)).collect();
        let mut external = Vec::new();
        for _ in 0..120 {
            let mut id = String::from("wm");
            let mut raw = Vec::new();
            push_random(&mut rng, &mut raw, ALNUM, 30);
            id.push_str(std::str::from_utf8(&raw).expect("ASCII"));
            external.push(id);
        }
        let mut convs = Vec::new();
        for i in 0..200 {
            let group = i % 5 >= 3;
            let size = if group { rng.range(3, 6) } else { 2 } as usize;
            let mut members = Vec::with_capacity(size);
            for _ in 0..size {
                if rng.chance(2000) {
                    members.push(rng.pick(&external).clone());
                } else {
                    members.push(rng.pick(&people).userid.clone());
                }
            }
            let roomid = if group {
                let mut raw = b"wr".to_vec();
                push_random(&mut rng, &mut raw, ALNUM, 30);
                String::from_utf8(raw).expect("ASCII")
            } else {
                String::new()
            };
            convs.push(Conversation { roomid, members });
        }
        Gen {
            rng,
            mentions: 0,
            people,
            convs,
            conv: 0,
            msgtime: 1_696_118_400_000, // 2023-10-01 08:00 +08:00
            stats: Stats::default(),
        }
    }

    // -- slots ------------------------------------------------------------

    fn person_call(&mut self, buf: &mut Vec<u8>) {
        if self.rng.chance(3000) {
            let p = self.rng.below(self.people.len() as u64) as usize;
            buf.extend_from_slice(self.people[p].name.as_bytes());
        } else {
            buf.extend_from_slice(self.rng.pick(&SURNAMES).0.as_bytes());
            buf.extend_from_slice(self.rng.pick(&HONORIFICS).as_bytes());
        }
    }

    fn date_iso(&mut self, buf: &mut Vec<u8>) {
        push_u64(buf, self.rng.range(2022, 2024));
        buf.push(b'-');
        push_padded(buf, self.rng.range(1, 12), 2);
        buf.push(b'-');
        push_padded(buf, self.rng.range(1, 28), 2);
    }

    fn hhmm(&mut self, buf: &mut Vec<u8>) {
        push_u64(buf, self.rng.range(8, 21));
        buf.push(b':');
        push_padded(buf, self.rng.below(12) * 5, 2);
    }

    fn amount(&mut self, buf: &mut Vec<u8>) {
        push_u64(buf, self.rng.range(20, 250_000));
        if self.rng.chance(5000) {
            buf.push(b'.');
            push_padded(buf, self.rng.below(100), 2);
        }
    }

    fn slot(&mut self, tag: u8, buf: &mut Vec<u8>) {
        let r = &mut self.rng;
        match tag {
            b'P' => self.person_call(buf),
            b'O' => buf.extend_from_slice(r.pick(&OBJECTS).as_bytes()),
            b'W' => buf.extend_from_slice(r.pick(&WHEN).as_bytes()),
            b'A' => buf.extend_from_slice(r.pick(&ACTIONS).as_bytes()),
            b'R' => buf.extend_from_slice(r.pick(&REPLIES).as_bytes()),
            b'E' => buf.extend_from_slice(r.pick(&DEPARTMENTS).as_bytes()),
            b'L' => buf.extend_from_slice(r.pick(&PLACES).as_bytes()),
            b'G' => buf.extend_from_slice(r.pick(&MEETINGS).as_bytes()),
            b'h' => push_u64(buf, r.range(8, 21)),
            b'T' => self.hhmm(buf),
            b'D' => self.date_iso(buf),
            b'd' => {
                push_u64(buf, r.range(1, 12));
                buf.extend_from_slice("月".as_bytes());
                push_u64(buf, r.range(1, 28));
                buf.extend_from_slice("日".as_bytes());
            }
            b'n' => push_u64(buf, r.range(1, 30)),
            b'k' => push_u64(buf, r.range(100, 99_999)),
            b'$' => self.amount(buf),
            b'M' => {
                for i in 0..3 {
                    if i > 0 {
                        buf.push(b' ');
                    }
                    push_padded(buf, r.range(100, 999), 3);
                }
            }
            b'V' => {
                buf.push(b'v');
                push_u64(buf, r.range(1, 9));
                buf.push(b'.');
                push_u64(buf, r.range(0, 30));
                buf.push(b'.');
                push_u64(buf, r.range(0, 99));
            }
            b'F' => {
                push_u64(buf, r.range(2, 28));
                buf.extend_from_slice("楼".as_bytes());
                push_u64(buf, r.range(1, 30) * 100 + r.range(1, 20));
            }
            b'X' => push_u64(buf, r.range(6000, 8999)),
            b'Q' => {
                push_u64(buf, r.range(1, 99));
                if r.chance(3000) {
                    buf.push(b'.');
                    push_u64(buf, r.range(1, 9));
                }
                buf.push(b'%');
            }
            b'J' => {
                buf.extend_from_slice(r.pick(&["BUG-", "REQ-", "OPS-", "#"]).as_bytes());
                push_u64(buf, r.range(1000, 99_999));
            }
            b'Y' => push_u64(buf, r.range(2022, 2024)),
            _ => unreachable!("unknown template slot {}", tag as char),
        }
    }

    /// Expands a random template.
    fn template(&mut self, buf: &mut Vec<u8>) {
        let all = templates();
        for piece in &all[self.rng.below(all.len() as u64) as usize] {
            match piece {
                Piece::Text(t) => buf.extend_from_slice(t.as_bytes()),
                Piece::Slot(tag) => self.slot(*tag, buf),
            }
        }
    }

    /// Ordinary chat. Byte for byte, archives are dominated by the longer
    /// messages: 40% are one or two sentences, 40% three to eight, and 20% are
    /// pasted notices, minutes or reports of ten to twenty-four.
    fn chat(&mut self, buf: &mut Vec<u8>) {
        let r = self.rng.below(100);
        let n = if r < 40 {
            self.rng.range(1, 2)
        } else if r < 80 {
            self.rng.range(3, 8)
        } else {
            let head =
                *self
                    .rng
                    .pick(&["【通知】", "【会议纪要】", "【周报】", "【日报】", "转发："]);
            buf.extend_from_slice(head.as_bytes());
            self.rng.range(10, 24)
        };
        for _ in 0..n {
            self.template(buf);
        }
    }

    // -- planted identifiers ------------------------------------------------

    fn resident_id(&mut self, buf: &mut Vec<u8>, grouped: bool) {
        let mut body = [0u8; 17];
        let mut tmp = Vec::with_capacity(17);
        push_padded(&mut tmp, u64::from(*self.rng.pick(&REGIONS)), 6);
        push_u64(&mut tmp, self.rng.range(1950, 2005));
        push_padded(&mut tmp, self.rng.range(1, 12), 2);
        push_padded(&mut tmp, self.rng.range(1, 28), 2);
        push_padded(&mut tmp, self.rng.below(1000), 3);
        body.copy_from_slice(&tmp);
        let check = mod11_2(&body);
        if grouped {
            buf.extend_from_slice(&body[..6]);
            buf.push(b' ');
            buf.extend_from_slice(&body[6..14]);
            buf.push(b' ');
            buf.extend_from_slice(&body[14..]);
        } else {
            buf.extend_from_slice(&body);
        }
        buf.push(check);
    }

    /// A valid mobile in one of the forms people type.
    fn mobile(&mut self, buf: &mut Vec<u8>) {
        let prefix = u64::from(*self.rng.pick(&MOBILE_PREFIXES));
        let mid = self.rng.below(10_000);
        let end = self.rng.below(10_000);
        let form = self.rng.below(10);
        match form {
            0..=4 => {}
            5 => buf.extend_from_slice(b"+86 "),
            6 => buf.extend_from_slice(b"+86-"),
            _ => {}
        }
        let sep: &[u8] = match form {
            6 | 7 => b"-",
            8 => b" ",
            _ => b"",
        };
        push_u64(buf, prefix);
        buf.extend_from_slice(sep);
        push_padded(buf, mid, 4);
        buf.extend_from_slice(sep);
        push_padded(buf, end, 4);
    }

    /// A Luhn-valid UnionPay card, sometimes grouped by four.
    fn card(&mut self, buf: &mut Vec<u8>) {
        let (bin, len) = *self.rng.pick(&CARD_BINS);
        let mut digits = bin.as_bytes().to_vec();
        push_digits(&mut self.rng, &mut digits, len - 1 - bin.len());
        let check = luhn_digit(&digits);
        digits.push(check);
        if self.rng.chance(2500) {
            for (i, chunk) in digits.chunks(4).enumerate() {
                if i > 0 {
                    buf.push(b' ');
                }
                buf.extend_from_slice(chunk);
            }
        } else {
            buf.extend_from_slice(&digits);
        }
    }

    fn email(&mut self, buf: &mut Vec<u8>) {
        let p = self.rng.below(self.people.len() as u64) as usize;
        let local = self.people[p].userid.to_ascii_lowercase();
        buf.extend_from_slice(local.as_bytes());
        if self.rng.chance(5000) {
            push_u64(buf, self.rng.range(1, 99));
        }
        buf.push(b'@');
        buf.extend_from_slice(
            self.rng
                .pick(&["example.com", "example.org", "example.net", "example.cn"])
                .as_bytes(),
        );
    }

    /// A message that leaks one identifier next to its context word.
    fn plant(&mut self, buf: &mut Vec<u8>) {
        let kind = self.rng.below(100);
        let s = |b: &mut Vec<u8>, t: &str| b.extend_from_slice(t.as_bytes());
        if kind < 30 {
            self.stats.id += 1;
            match self.rng.below(4) {
                0 => s(buf, "好的，身份证号："),
                1 => s(buf, "我的身份证号码是"),
                2 => {
                    self.person_call(buf);
                    s(buf, "的身份证号 ");
                }
                _ => s(buf, "入职登记：身份证 "),
            }
            let grouped = self.rng.chance(1000);
            self.resident_id(buf, grouped);
            s(buf, "，麻烦登记一下。");
        } else if kind < 65 {
            self.stats.mobile += 1;
            match self.rng.below(4) {
                0 => s(buf, "手机 "),
                1 => s(buf, "我的手机："),
                2 => s(buf, "有事打我手机"),
                _ => s(buf, "联系电话（手机）"),
            }
            self.mobile(buf);
            s(buf, "，微信同号。");
        } else if kind < 85 {
            self.stats.card += 1;
            match self.rng.below(3) {
                0 => s(buf, "工资卡卡号 "),
                1 => s(buf, "报销打到这张卡，卡号："),
                _ => s(buf, "银行卡号 "),
            }
            self.card(buf);
            s(buf, "，户名是我本人。");
        } else {
            self.stats.email += 1;
            match self.rng.below(3) {
                0 => s(buf, "邮箱 "),
                1 => s(buf, "材料发我邮箱："),
                _ => s(buf, "我的个人邮箱是 "),
            }
            self.email(buf);
            s(buf, " 谢谢");
        }
    }

    /// A message with a number that looks like an identifier but is not one.
    fn lookalike(&mut self, buf: &mut Vec<u8>) {
        self.stats.lookalikes += 1;
        let s = |b: &mut Vec<u8>, t: &str| b.extend_from_slice(t.as_bytes());
        match self.rng.below(LOOKALIKE_KINDS as u64) {
            0 => {
                s(buf, "订单号：");
                self.date_iso_compact(buf);
                let n = self.rng.range(10, 12) as usize;
                push_digits(&mut self.rng, buf, n);
                s(buf, "，麻烦查一下发货了没有。");
            }
            1 => {
                let label = *self
                    .rng
                    .pick(&["顺丰快递单号 SF", "快递单号：", "中通快递单号 7"]);
                s(buf, label);
                let n = self.rng.range(11, 14) as usize;
                push_digits(&mut self.rng, buf, n);
                s(buf, "，到了签收一下。");
            }
            2 => {
                s(buf, "接口返回的时间戳是");
                push_u64(buf, self.msgtime - self.rng.below(86_400_000));
                s(buf, "，和服务器时间对不上。");
            }
            3 => {
                s(buf, "这台笔记本价格¥");
                self.amount(buf);
                s(buf, "，比上次贵了");
                push_u64(buf, self.rng.range(100, 999));
                s(buf, "元。");
            }
            4 => {
                s(buf, "日期改成");
                self.date_iso(buf);
                buf.push(b' ');
                self.hhmm(buf);
                s(buf, ":00，系统里也同步一下。");
            }
            _ => {
                s(buf, "交易流水号 ");
                push_digits(&mut self.rng, buf, 20);
                s(buf, "，金额");
                self.amount(buf);
                s(buf, "元。");
            }
        }
    }

    fn date_iso_compact(&mut self, buf: &mut Vec<u8>) {
        push_u64(buf, self.rng.range(2022, 2024));
        push_padded(buf, self.rng.range(1, 12), 2);
        push_padded(buf, self.rng.range(1, 28), 2);
    }

    // -- archive lines ------------------------------------------------------

    /// Writes the envelope up to and including `"msgtype":"<t>","<t>":`.
    fn envelope(&mut self, line: &mut Vec<u8>, msgtype: &str) {
        if self.rng.chance(3000) {
            self.conv = self.rng.below(self.convs.len() as u64) as usize;
        }
        self.msgtime += self.rng.range(800, 240_000);
        let conv = &self.convs[self.conv];
        let from = self.rng.below(conv.members.len() as u64) as usize;
        let external = conv.members[from].starts_with("wm");

        line.extend_from_slice(b"{\"msgid\":\"");
        if external || self.rng.chance(3000) {
            push_digits(&mut self.rng, line, 19);
            line.push(b'_');
            push_u64(line, self.msgtime);
            line.extend_from_slice(b"_external");
        } else {
            line.extend_from_slice(b"CAQQ");
            push_random(&mut self.rng, line, B64, 27);
            line.push(b'=');
        }
        line.extend_from_slice(b"\",\"action\":\"send\",\"from\":\"");
        line.extend_from_slice(conv.members[from].as_bytes());
        line.extend_from_slice(b"\",\"tolist\":[");
        let mut first = true;
        for (i, m) in conv.members.iter().enumerate() {
            if i != from {
                if !first {
                    line.push(b',');
                }
                first = false;
                line.push(b'"');
                line.extend_from_slice(m.as_bytes());
                line.push(b'"');
            }
        }
        line.extend_from_slice(b"],\"roomid\":\"");
        line.extend_from_slice(conv.roomid.as_bytes());
        line.extend_from_slice(b"\",\"msgtime\":");
        push_u64(line, self.msgtime);
        line.extend_from_slice(b",\"msgtype\":\"");
        line.extend_from_slice(msgtype.as_bytes());
        line.extend_from_slice(b"\",\"");
        line.extend_from_slice(msgtype.as_bytes());
        line.extend_from_slice(b"\":");
    }

    /// A `text` message with `content` produced by `body`.
    fn text_line(&mut self, line: &mut Vec<u8>, body: fn(&mut Gen, &mut Vec<u8>)) {
        self.envelope(line, "text");
        line.extend_from_slice(b"{\"content\":\"");
        // Drawn only when asked for: the default corpus stays as it was.
        if self.mentions > 0
            && !self.convs[self.conv].roomid.is_empty()
            && self.rng.below(100) < self.mentions
        {
            line.push(b'@');
            line.extend_from_slice(self.rng.pick(&self.people).name.as_bytes());
            line.push(b' ');
        }
        body(self, line);
        line.extend_from_slice(b"\"}}\n");
    }

    fn file_line(&mut self, line: &mut Vec<u8>) {
        self.envelope(line, "file");
        let ext = *self
            .rng
            .pick(&["xlsx", "docx", "pdf", "pptx", "zip", "png"]);
        line.extend_from_slice(b"{\"md5sum\":\"");
        push_random(&mut self.rng, line, HEX, 32);
        line.extend_from_slice(b"\",\"filename\":\"");
        let o = *self.rng.pick(&OBJECTS);
        line.extend_from_slice(o.as_bytes());
        line.push(b'_');
        self.date_iso_compact(line);
        line.push(b'.');
        line.extend_from_slice(ext.as_bytes());
        line.extend_from_slice(b"\",\"fileext\":\"");
        line.extend_from_slice(ext.as_bytes());
        line.extend_from_slice(b"\",\"sdkfileid\":\"");
        push_random(&mut self.rng, line, B64, 64);
        line.extend_from_slice(b"\",\"filesize\":");
        push_u64(line, self.rng.range(2_000, 30_000_000));
        line.extend_from_slice(b"}}\n");
    }

    fn link_line(&mut self, line: &mut Vec<u8>) {
        self.envelope(line, "link");
        line.extend_from_slice(b"{\"title\":\"");
        let o = *self.rng.pick(&OBJECTS);
        line.extend_from_slice(o.as_bytes());
        line.extend_from_slice("模板和填写说明".as_bytes());
        line.extend_from_slice(b"\",\"description\":\"");
        self.template(line);
        line.extend_from_slice(b"\",\"link_url\":\"https://doc.weixin.qq.com/sheet/e3_");
        push_random(&mut self.rng, line, ALNUM, 24);
        line.extend_from_slice(b"?scode=");
        push_random(&mut self.rng, line, ALNUM, 16);
        line.extend_from_slice(b"\",\"image_url\":\"https://wework.qpic.cn/wwpic/");
        push_digits(&mut self.rng, line, 6);
        line.push(b'_');
        push_random(&mut self.rng, line, ALNUM, 22);
        line.extend_from_slice(b"_");
        push_u64(line, self.msgtime / 1000);
        line.extend_from_slice(b"/0\"}}\n");
    }

    fn location_line(&mut self, line: &mut Vec<u8>) {
        self.envelope(line, "location");
        let lng = self.rng.range(100_000_000, 122_000_000);
        let lat = self.rng.range(22_000_000, 41_000_000);
        line.extend_from_slice(b"{\"longitude\":");
        push_u64(line, lng / 1_000_000);
        line.push(b'.');
        push_padded(line, lng % 1_000_000, 6);
        line.extend_from_slice(b",\"latitude\":");
        push_u64(line, lat / 1_000_000);
        line.push(b'.');
        push_padded(line, lat % 1_000_000, 6);
        line.extend_from_slice(b",\"address\":\"");
        line.extend_from_slice(self.rng.pick(&CITIES).as_bytes());
        line.extend_from_slice(self.rng.pick(&ROADS).as_bytes());
        push_u64(line, self.rng.range(1, 999));
        line.extend_from_slice("号".as_bytes());
        line.extend_from_slice(b"\",\"title\":\"");
        line.extend_from_slice(self.rng.pick(&PLACES).as_bytes());
        line.extend_from_slice(b"\",\"zoom\":15}}\n");
    }

    /// A `chatrecord`: forwarded messages whose `content` is JSON in a string.
    /// `plant` puts `body` into one of the items.
    fn chatrecord_line(&mut self, line: &mut Vec<u8>, body: fn(&mut Gen, &mut Vec<u8>)) {
        self.envelope(line, "chatrecord");
        line.extend_from_slice(b"{\"title\":\"");
        line.extend_from_slice("群聊的聊天记录".as_bytes());
        line.extend_from_slice(b"\",\"item\":[");
        let n = self.rng.range(2, 5);
        let special = self.rng.below(n);
        let mut t = self.msgtime / 1000 - self.rng.range(3_600, 864_000);
        for i in 0..n {
            if i > 0 {
                line.push(b',');
            }
            t += self.rng.range(5, 600);
            line.extend_from_slice(b"{\"type\":\"ChatRecordText\",\"msgtime\":");
            push_u64(line, t);
            line.extend_from_slice(b",\"content\":\"{\\\"content\\\":\\\"");
            if i == special {
                body(self, line);
            } else {
                self.chat(line);
            }
            line.extend_from_slice(b"\\\"}\",\"from_chatroom\":");
            line.extend_from_slice(if self.rng.chance(5000) {
                b"true"
            } else {
                b"false"
            });
            line.push(b'}');
        }
        line.extend_from_slice(b"]}}\n");
    }

    /// One archive line (with its trailing newline) into `line`. 2% of the
    /// messages plant an identifier and 3% hold a look-alike, in a `text`
    /// message or (one in ten) inside a `chatrecord` item; the rest are
    /// ordinary `text` (86%), `chatrecord`, `file`, `link` and `location`.
    fn archive_line(&mut self, line: &mut Vec<u8>) {
        self.stats.messages += 1;
        let c = self.rng.below(1000);
        if c < 50 {
            let body: fn(&mut Gen, &mut Vec<u8>) = if c < 20 { Gen::plant } else { Gen::lookalike };
            if self.rng.chance(1000) {
                self.chatrecord_line(line, body);
            } else {
                self.text_line(line, body);
            }
            return;
        }
        match self.rng.below(1000) {
            0..=859 => self.text_line(line, Gen::chat),
            860..=899 => self.chatrecord_line(line, Gen::chat),
            900..=944 => self.file_line(line),
            945..=974 => self.link_line(line),
            _ => self.location_line(line),
        }
    }

    /// A last line of exactly `k` bytes, if `k` can hold one.
    fn archive_pad_line(&mut self, line: &mut Vec<u8>, k: usize) -> bool {
        self.envelope(line, "text");
        line.extend_from_slice(b"{\"content\":\"");
        let fixed = line.len() + 4;
        if fixed > k {
            return false;
        }
        push_filler(&mut self.rng, line, k - fixed);
        line.extend_from_slice(b"\"}}\n");
        self.stats.messages += 1;
        true
    }

    // -- directory rows -----------------------------------------------------

    /// One `directory.csv` row (with its newline); `pad_to` pads the address.
    fn directory_row(&mut self, row: &mut Vec<u8>, pad_to: Option<usize>) -> bool {
        let start = row.len();
        let (s, sp) = *self.rng.pick(&SURNAMES);
        let (g, gp) = *self.rng.pick(&GIVEN);
        row.extend_from_slice(s.as_bytes());
        row.extend_from_slice(g.as_bytes());
        row.push(b',');
        row.extend_from_slice(sp.as_bytes());
        row.extend_from_slice(gp.as_bytes());
        if self.rng.chance(3000) {
            push_u64(row, self.rng.range(2, 99));
        }
        row.push(b',');
        row.extend_from_slice(self.rng.pick(&TITLES).as_bytes());
        row.push(b',');
        row.extend_from_slice(self.rng.pick(&DEPARTMENTS).as_bytes());
        row.push(b',');
        if !self.rng.chance(300) {
            self.stats.dir_mobile += 1;
            self.mobile(row);
        }
        row.push(b',');
        if self.rng.chance(3500) {
            self.stats.dir_landline += 1;
            let (area, len) = *self.rng.pick(&[
                ("010", 8),
                ("021", 8),
                ("020", 8),
                ("025", 8),
                ("027", 8),
                ("028", 8),
                ("029", 8),
                ("0571", 8),
                ("0755", 8),
                ("0512", 8),
                ("0532", 8),
                ("0871", 7),
            ]);
            row.extend_from_slice(area.as_bytes());
            row.push(b'-');
            push_u64(row, self.rng.range(2, 8));
            push_digits(&mut self.rng, row, len - 1);
            if self.rng.chance(4000) {
                row.push(b'-');
                push_u64(row, self.rng.range(1000, 9999));
            }
        }
        row.push(b',');
        if self.rng.chance(6000) {
            self.stats.dir_email += 1;
            let sep = *self.rng.pick(&["", ".", "_"]);
            row.extend_from_slice(sp.to_ascii_lowercase().as_bytes());
            row.extend_from_slice(sep.as_bytes());
            row.extend_from_slice(gp.to_ascii_lowercase().as_bytes());
            if self.rng.chance(5000) {
                push_u64(row, self.rng.range(1, 99));
            }
            row.push(b'@');
            row.extend_from_slice(
                self.rng
                    .pick(&["example.com", "example.org", "example.net"])
                    .as_bytes(),
            );
        }
        row.push(b',');
        row.extend_from_slice(self.rng.pick(&CITIES).as_bytes());
        row.extend_from_slice(self.rng.pick(&ROADS).as_bytes());
        push_u64(row, self.rng.range(1, 999));
        row.extend_from_slice("号".as_bytes());
        if self.rng.chance(3000) {
            push_u64(row, self.rng.range(1, 30));
            row.extend_from_slice("栋".as_bytes());
            push_u64(row, self.rng.range(1, 32) * 100 + self.rng.range(1, 8));
            row.extend_from_slice("室".as_bytes());
        }
        if let Some(target) = pad_to {
            let have = row.len() - start + 1;
            if have > target {
                return false;
            }
            push_filler(&mut self.rng, row, target - have);
        }
        row.push(b'\n');
        self.stats.rows += 1;
        true
    }
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/// Largest line the archive generator writes, with room to spare: below this
/// many bytes left, the last line is padded to fit exactly.
const ARCHIVE_TAIL: u64 = 16 << 10;
const DIRECTORY_TAIL: u64 = 2 << 10;

fn write_archive(path: &Path, target: u64, g: &mut Gen) -> io::Result<Counts> {
    let mut sink = Sink::create(path)?;
    let mut line = Vec::with_capacity(8 << 10);
    while target - sink.len() > ARCHIVE_TAIL {
        if g.rng.chance(500) {
            g.stats.escaped += 1;
            line.clear();
            g.archive_line(&mut line);
            push_ascii_escaped(&mut sink.buf, &line);
        } else {
            g.archive_line(&mut sink.buf);
        }
        sink.maybe_flush()?;
    }
    // Tail: ordinary lines while they leave room for a padded last one.
    loop {
        let left = (target - sink.len()) as usize;
        let before = g.stats;
        line.clear();
        g.archive_line(&mut line);
        if line.len() + 1024 <= left {
            sink.buf.extend_from_slice(&line);
            continue;
        }
        g.stats = before; // that line is dropped: do not count it
        line.clear();
        if g.archive_pad_line(&mut line, left) {
            sink.buf.extend_from_slice(&line);
        }
        break;
    }
    sink.finish()
}

fn write_directory(path: &Path, target: u64, g: &mut Gen) -> io::Result<Counts> {
    let mut sink = Sink::create(path)?;
    let header = "姓名,帐号,职务,部门,手机,座机,个人邮箱,地址\n".as_bytes();
    if (header.len() as u64) <= target {
        sink.buf.extend_from_slice(header);
    }
    while target - sink.len() > DIRECTORY_TAIL {
        g.directory_row(&mut sink.buf, None);
        sink.maybe_flush()?;
    }
    loop {
        let left = (target - sink.len()) as usize;
        if left >= 600 {
            g.directory_row(&mut sink.buf, None);
            continue;
        }
        // Two padded rows share what is left (one if it is small). A row
        // that does not fit is taken back, counts included.
        let first = if left >= 400 { left / 2 } else { left };
        for pad in [first, left - first] {
            if pad == 0 {
                break;
            }
            let (mark, before) = (sink.buf.len(), g.stats);
            if !g.directory_row(&mut sink.buf, Some(pad)) {
                sink.buf.truncate(mark);
                g.stats = before;
                break;
            }
        }
        break;
    }
    sink.finish()
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Archive,
    Directory,
    Both,
}

struct Args {
    size: u64,
    out: PathBuf,
    seed: u64,
    kind: Kind,
    mentions: u64,
}

const USAGE: &str =
    "usage: gen_corpus --size SIZE --out DIR [--seed N] [--kind archive|directory|both] [--mentions PCT]
  --size  total bytes, with an optional K, M or G suffix (powers of 1024), e.g. 500M
  --out   output folder (created); writes archive.jsonl and/or directory.csv
  --seed  PRNG seed (default 1); same seed and size give byte-identical files
  --kind  which files to write (default both: the directory export gets 10%)
  --mentions  percent of group text messages starting with a mention such as `@李明 ` (default 0)";

/// Parses `123`, `64K`, `500M`, `1G` (also `1GiB`, `1gb`): powers of 1024.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(t);
    let (num, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m' | 'M') => (&t[..t.len() - 1], 1 << 20),
        Some('g' | 'G') => (&t[..t.len() - 1], 1 << 30),
        Some('t' | 'T') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("bad size {s:?}: expected a number with an optional K/M/G suffix"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

fn parse_args() -> Result<Args, String> {
    let mut size = None;
    let mut out = None;
    let mut seed = 1u64;
    let mut kind = Kind::Both;
    let mut mentions = 0u64;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--size" => size = Some(parse_size(&value()?)?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--seed" => {
                let v = value()?;
                seed = v.parse().map_err(|_| format!("bad seed {v:?}"))?;
            }
            "--kind" => {
                kind = match value()?.as_str() {
                    "archive" => Kind::Archive,
                    "directory" => Kind::Directory,
                    "both" => Kind::Both,
                    other => return Err(format!("bad kind {other:?}")),
                }
            }
            "--mentions" => {
                let v = value()?;
                mentions = v
                    .parse()
                    .ok()
                    .filter(|&p| p <= 100)
                    .ok_or_else(|| format!("bad --mentions {v:?}: a percent, 0 to 100"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        size: size.ok_or("--size is required")?,
        out: out.ok_or("--out is required")?,
        seed,
        kind,
        mentions,
    })
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn run(args: &Args) -> io::Result<()> {
    let started = Instant::now();
    fs::create_dir_all(&args.out)?;
    let (archive_target, directory_target) = match args.kind {
        Kind::Archive => (args.size, 0),
        Kind::Directory => (0, args.size),
        Kind::Both => (args.size - args.size / 10, args.size / 10),
    };
    // Two independent streams so that each file depends only on the seed and
    // its own size.
    let mut ga = Gen::new(args.seed);
    ga.mentions = args.mentions;
    let mut gd = Gen::new(args.seed ^ 0xD1EC_7021_5EED_0000);
    let mut archive = Counts::default();
    let mut directory = Counts::default();
    if args.kind != Kind::Directory {
        archive = write_archive(&args.out.join("archive.jsonl"), archive_target, &mut ga)?;
    }
    if args.kind != Kind::Archive {
        directory = write_directory(&args.out.join("directory.csv"), directory_target, &mut gd)?;
    }
    let secs = started.elapsed().as_secs_f64();
    let (a, d) = (&ga.stats, &gd.stats);
    let total = archive.bytes + directory.bytes;
    eprintln!(
        "gen_corpus: {total} bytes (archive.jsonl {}, directory.csv {}) in {secs:.2} s ({:.0} MB/s); \
         {} messages ({} \\u-escaped), planted id={} mobile={} card={} email={}, look-alikes={}; \
         {} directory rows (mobile={} landline={} email={}); multi-byte {:.1}% digits {:.1}% of bytes",
        archive.bytes,
        directory.bytes,
        total as f64 / 1e6 / secs.max(1e-9),
        a.messages,
        a.escaped,
        a.id,
        a.mobile,
        a.card,
        a.email,
        a.lookalikes,
        d.rows,
        d.dir_mobile,
        d.dir_landline,
        d.dir_email,
        pct(archive.multibyte + directory.multibyte, total),
        pct(archive.digits + directory.digits, total),
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_corpus: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_corpus: {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_the_spec_examples() {
        assert_eq!(mod11_2(b"11010119000101000"), b'6');
        assert_eq!(mod11_2(b"11010119000101009"), b'X');
        assert_eq!(luhn_digit(b"620000000000000"), b'5');
        assert_eq!(luhn_digit(b"622000000000000001"), b'6');
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert!(parse_size("x").is_err());
    }

    #[test]
    fn vocabulary_needs_no_escaping() {
        let lists: [&[&str]; 14] = [
            &HONORIFICS,
            &OBJECTS,
            &WHEN,
            &ACTIONS,
            &REPLIES,
            &DEPARTMENTS,
            &TITLES,
            &CITIES,
            &ROADS,
            &PLACES,
            &MEETINGS,
            &FILLERS,
            &TEMPLATES,
            &["群聊的聊天记录"],
        ];
        for w in lists.iter().flat_map(|l| l.iter()) {
            assert!(
                !w.bytes()
                    .any(|b| matches!(b, b'"' | b'\\' | b',' | b'\n' | b'\r')),
                "{w}"
            );
        }
    }

    #[test]
    fn same_seed_same_bytes_exact_size() {
        let base = std::env::temp_dir().join(format!("gen_corpus_test_{}", std::process::id()));
        let mut files = Vec::new();
        for attempt in 0..2 {
            let out = base.join(attempt.to_string());
            let args = Args {
                size: 300_000,
                out: out.clone(),
                seed: 42,
                kind: Kind::Both,
                mentions: 0,
            };
            run(&args).unwrap();
            let a = fs::read(out.join("archive.jsonl")).unwrap();
            let d = fs::read(out.join("directory.csv")).unwrap();
            assert_eq!(a.len() + d.len(), 300_000);
            assert!(std::str::from_utf8(&a).is_ok() && std::str::from_utf8(&d).is_ok());
            assert!(a.ends_with(b"}\n") && d.ends_with(b"\n"));
            files.push((a, d));
        }
        fs::remove_dir_all(&base).unwrap();
        assert!(files[0] == files[1]);
    }

    /// `--mentions` starts that share of group text messages with `@` and
    /// a name; every line is still JSON.
    #[test]
    fn mentions_start_group_messages() {
        let out = std::env::temp_dir().join(format!("gen_corpus_mentions_{}", std::process::id()));
        let args = Args {
            size: 400_000,
            out: out.clone(),
            seed: 7,
            kind: Kind::Archive,
            mentions: 50,
        };
        run(&args).unwrap();
        let a = fs::read_to_string(out.join("archive.jsonl")).unwrap();
        fs::remove_dir_all(&out).unwrap();
        let (mut group_text, mut mentioned) = (0, 0);
        for line in a.lines() {
            if line.contains("\"msgtype\":\"text\"") && !line.contains("\"roomid\":\"\"") {
                group_text += 1;
                mentioned += usize::from(line.contains("{\"content\":\"@"));
            }
        }
        assert!(group_text > 100, "{group_text}");
        let share = mentioned as f64 / group_text as f64;
        assert!((0.4..0.6).contains(&share), "{mentioned} of {group_text}");
    }
}
