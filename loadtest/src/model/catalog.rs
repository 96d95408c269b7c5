//! The fixed tables the traffic is drawn from: portal names, pages, user agents, referrers and
//! the Vietnamese address blocks of client IPs. Weights are shares of sessions (or visitors),
//! chosen to look like the traffic of Vietnamese government portals: mostly mobile, Google and
//! Cốc Cốc for search, Facebook and Zalo for social, news sites and other portals as referrals.
use emc_collector::enrich::referrer::SourceClass;

/// (slug used in the domain, display name) of the portals a run registers, in order.
pub const PORTALS: &[(&str, &str)] = &[
    ("hanoi", "Cổng TTĐT thành phố Hà Nội"),
    ("hochiminhcity", "Cổng TTĐT Thành phố Hồ Chí Minh"),
    ("moh", "Cổng TTĐT Bộ Y tế"),
    ("moet", "Cổng TTĐT Bộ Giáo dục và Đào tạo"),
    ("danang", "Cổng TTĐT thành phố Đà Nẵng"),
    ("mof", "Cổng TTĐT Bộ Tài chính"),
    ("haiphong", "Cổng TTĐT thành phố Hải Phòng"),
    ("moj", "Cổng TTĐT Bộ Tư pháp"),
    ("cantho", "Cổng TTĐT thành phố Cần Thơ"),
    ("mic", "Cổng TTĐT Bộ Thông tin và Truyền thông"),
    ("nghean", "Cổng TTĐT tỉnh Nghệ An"),
    ("thanhhoa", "Cổng TTĐT tỉnh Thanh Hóa"),
    ("molisa", "Cổng TTĐT Bộ Lao động - Thương binh và Xã hội"),
    ("quangninh", "Cổng TTĐT tỉnh Quảng Ninh"),
    ("dongnai", "Cổng TTĐT tỉnh Đồng Nai"),
    ("binhduong", "Cổng TTĐT tỉnh Bình Dương"),
    ("mpi", "Cổng TTĐT Bộ Kế hoạch và Đầu tư"),
    ("hagiang", "Cổng TTĐT tỉnh Hà Giang"),
    ("laocai", "Cổng TTĐT tỉnh Lào Cai"),
    ("thuathienhue", "Cổng TTĐT tỉnh Thừa Thiên Huế"),
    ("khanhhoa", "Cổng TTĐT tỉnh Khánh Hòa"),
    ("angiang", "Cổng TTĐT tỉnh An Giang"),
    ("camau", "Cổng TTĐT tỉnh Cà Mau"),
    ("dienbien", "Cổng TTĐT tỉnh Điện Biên"),
];

/// Sections of a portal and the titles of their pages; page `n` of a section is
/// `/{section}/{slug}-{n}.html`. The first entries are the most visited.
pub const SECTIONS: &[(&str, &str)] = &[
    ("tin-tuc", "Tin tức - sự kiện"),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính"),
    ("van-ban-phap-luat", "Văn bản quy phạm pháp luật"),
    ("thong-bao", "Thông báo"),
    ("chi-dao-dieu-hanh", "Chỉ đạo điều hành"),
    ("du-thao-van-ban", "Dự thảo văn bản lấy ý kiến"),
    ("hoi-dap", "Hỏi đáp trực tuyến"),
    ("tuyen-dung", "Thông tin tuyển dụng"),
];

pub const STATIC_PAGES: &[(&str, &str)] = &[
    ("/", "Trang chủ"),
    ("/gioi-thieu", "Giới thiệu"),
    ("/lien-he", "Liên hệ"),
    ("/so-do-cong", "Sơ đồ cổng"),
    ("/dich-vu-cong", "Dịch vụ công trực tuyến"),
];

pub const HEADLINES: &[&str] = &[
    "hoi-nghi-trien-khai-nhiem-vu-nam-2025",
    "cong-bo-thu-tuc-hanh-chinh-moi",
    "huong-dan-nop-ho-so-truc-tuyen",
    "ket-qua-chi-so-cai-cach-hanh-chinh",
    "tiep-nhan-phan-anh-kien-nghi",
    "chuyen-doi-so-cap-xa",
    "lich-tiep-cong-dan",
    "thong-bao-tuyen-dung-vien-chuc",
];

/// A browser a visitor uses. `weight` is a share of visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UaEntry {
    pub ua: &'static str,
    pub mobile: bool,
    pub weight: u32,
}

/// Real user agents of Vietnamese traffic (2024-25): Chrome on Android first, Safari on
/// iPhone, the Zalo and Facebook in-app browsers, Cốc Cốc on Windows, then the rest.
pub const USER_AGENTS: &[UaEntry] = &[
    UaEntry { ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", mobile: true, weight: 22 },
    UaEntry { ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", mobile: true, weight: 14 },
    UaEntry { ua: "Mozilla/5.0 (Linux; Android 12; SM-A125F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 Zalo android/12100733 ZaloTheme/light ZaloLanguage/vn", mobile: true, weight: 8 },
    UaEntry { ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Zalo iOS/466 ZaloTheme/light ZaloLanguage/vn", mobile: true, weight: 4 },
    UaEntry { ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.40.111;FBBV/547614577;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBCR/;FBID/phone;FBLC/vi_VN;FBOP/80]", mobile: true, weight: 4 },
    UaEntry { ua: "Mozilla/5.0 (Linux; Android 13; SM-A536E Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/446.0.0.35.108;]", mobile: true, weight: 4 },
    UaEntry { ua: "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", mobile: true, weight: 4 },
    UaEntry { ua: "Mozilla/5.0 (Linux; Android 11; CPH2185) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36", mobile: true, weight: 3 },
    UaEntry { ua: "Mozilla/5.0 (Linux; Android 13; 23021RAA2Y) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.99 Mobile Safari/537.36", mobile: true, weight: 3 },
    UaEntry { ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", mobile: false, weight: 16 },
    UaEntry { ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/121.0.198 Chrome/115.0.5790.198 Safari/537.36", mobile: false, weight: 6 },
    UaEntry { ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0", mobile: false, weight: 4 },
    UaEntry { ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", mobile: false, weight: 2 },
    UaEntry { ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", mobile: false, weight: 2 },
    UaEntry { ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36", mobile: false, weight: 1 },
    UaEntry { ua: "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36", mobile: false, weight: 1 },
];

pub const MOBILE_WIDTHS: &[u16] = &[360, 375, 390, 393, 412, 414];
pub const DESKTOP_WIDTHS: &[u16] = &[1366, 1920, 1536, 1440, 1280];

/// How a visit arrives: the referrer the browser sends on the entry page, the UTM tags of the
/// entry URL, and the source class the collector must give the visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub referrer: Option<&'static str>,
    /// Query string added to the entry URL (`utm_source=…`), without `?`.
    pub utm: Option<&'static str>,
    pub class: SourceClass,
    pub weight: u32,
}

const fn entry(
    referrer: Option<&'static str>,
    utm: Option<&'static str>,
    class: SourceClass,
    weight: u32,
) -> Entry {
    Entry {
        referrer,
        utm,
        class,
        weight,
    }
}

use SourceClass::{Campaign, Direct, Organic, Referral, Social};

/// Shares of sessions by entry, in per mille of the weights' sum.
pub const ENTRIES: &[Entry] = &[
    entry(None, None, Direct, 355),
    entry(Some("https://www.google.com.vn/"), None, Organic, 230),
    entry(Some("https://www.google.com/"), None, Organic, 40),
    entry(
        Some("https://coccoc.com/search?query=th%E1%BB%A7+t%E1%BB%A5c+h%C3%A0nh+ch%C3%ADnh"),
        None,
        Organic,
        70,
    ),
    entry(Some("https://www.bing.com/"), None, Organic, 15),
    entry(Some("https://vn.search.yahoo.com/"), None, Organic, 5),
    entry(Some("https://m.facebook.com/"), None, Social, 50),
    entry(Some("https://l.facebook.com/"), None, Social, 20),
    entry(Some("https://zalo.me/"), None, Social, 40),
    entry(Some("https://www.youtube.com/"), None, Social, 10),
    entry(Some("https://www.tiktok.com/"), None, Social, 5),
    entry(Some("https://baomoi.com/tin-moi.epi"), None, Referral, 30),
    entry(Some("https://vnexpress.net/thoi-su"), None, Referral, 20),
    entry(Some("https://dantri.com.vn/xa-hoi.htm"), None, Referral, 10),
    entry(Some("https://chinhphu.vn/"), None, Referral, 25),
    entry(
        Some("https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"),
        None,
        Referral,
        30,
    ),
    entry(
        Some("https://zalo.me/"),
        Some("utm_source=zalo&utm_medium=social&utm_campaign=cai-cach-hanh-chinh"),
        Campaign,
        25,
    ),
    entry(
        None,
        Some("utm_source=newsletter&utm_medium=email&utm_campaign=ban-tin-thang"),
        Campaign,
        10,
    ),
    entry(
        Some("https://l.facebook.com/"),
        Some("utm_source=facebook&utm_medium=cpc&utm_campaign=tuyen-truyen"),
        Campaign,
        10,
    ),
];

/// Address blocks held by Vietnamese networks (VNPT, Viettel, FPT, CMC…): (first address, prefix length).
pub const IPV4_BLOCKS: &[([u8; 4], u8)] = &[
    ([14, 160, 0, 0], 11),
    ([113, 160, 0, 0], 11),
    ([171, 224, 0, 0], 11),
    ([27, 64, 0, 0], 12),
    ([116, 96, 0, 0], 12),
    ([123, 16, 0, 0], 12),
    ([115, 72, 0, 0], 13),
    ([183, 80, 0, 0], 13),
    ([42, 112, 0, 0], 13),
    ([1, 52, 0, 0], 14),
    ([118, 68, 0, 0], 14),
    ([58, 186, 0, 0], 15),
    ([125, 212, 0, 0], 15),
];

/// IPv6 /32s of Vietnamese networks (VNPT, Viettel, FPT).
pub const IPV6_PREFIXES: &[[u16; 2]] = &[[0x2402, 0x0800], [0x2001, 0x0ee0], [0x2405, 0x4800]];

/// Share of visitors on IPv6, in percent (Viettel and VNPT mobile are mostly IPv6).
pub const IPV6_PERCENT: u64 = 40;
