//! The interface's words: Vietnamese first (the Circular's own terms), English on a switch.

/// Every label a page shows.
#[derive(Debug)]
pub struct Texts {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub other_lang_name: &'static str,
    pub title: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub overview: &'static str,
    pub admin: &'static str,
    pub visits: &'static str,
    pub sessions: &'static str,
    pub pageviews: &'static str,
    pub visitors: &'static str,
    pub bounce_rate: &'static str,
    pub avg_duration: &'static str,
    pub hits: &'static str,
    pub organic: &'static str,
    pub referral: &'static str,
    pub direct: &'static str,
    pub social: &'static str,
    pub campaign: &'static str,
    pub site: &'static str,
    pub sites: &'static str,
    pub agency: &'static str,
    pub agencies: &'static str,
    pub users: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub apply: &'static str,
    pub interval: &'static str,
    pub hour: &'static str,
    pub day: &'static str,
    pub month: &'static str,
    pub include_components: &'static str,
    pub previous_period: &'static str,
    pub realtime: &'static str,
    pub filters: &'static str,
    pub remove: &'static str,
    pub download_csv: &'static str,
    pub sources: &'static str,
    pub snippet: &'static str,
    pub legacy_snippet: &'static str,
    pub contact: &'static str,
    pub save: &'static str,
    pub create: &'static str,
    pub audit_log: &'static str,
    pub name: &'static str,
    pub domains: &'static str,
    pub kind: &'static str,
    pub parent: &'static str,
    pub role: &'static str,
    pub group: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub action: &'static str,
    pub target: &'static str,
    pub detail: &'static str,
    pub chart_title: &'static str,
    pub no_data: &'static str,
    pub skip: &'static str,
    pub legal_rep: &'static str,
    pub person_responsible: &'static str,
    pub job_title: &'static str,
    pub address: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub other_contact: &'static str,
    pub site_created: &'static str,
}

pub static VI: Texts = Texts {
    lang: "vi",
    other_lang: "en",
    other_lang_name: "English",
    title: "EMC — Giám sát cổng thông tin điện tử",
    sign_in: "Đăng nhập",
    sign_out: "Đăng xuất",
    username: "Tên đăng nhập",
    password: "Mật khẩu",
    overview: "Tổng quan",
    admin: "Quản trị",
    visits: "Lượt truy cập",
    sessions: "Phiên",
    pageviews: "Lượt xem trang",
    visitors: "Người sử dụng",
    bounce_rate: "Tỷ lệ thoát",
    avg_duration: "Thời gian phiên trung bình",
    hits: "Lượt yêu cầu",
    organic: "Tìm kiếm tự nhiên",
    referral: "Giới thiệu",
    direct: "Trực tiếp",
    social: "Mạng xã hội",
    campaign: "Chiến dịch",
    site: "Trang",
    sites: "Cổng/Trang thông tin",
    agency: "Cơ quan",
    agencies: "Cơ quan",
    users: "Người dùng",
    from: "Từ ngày",
    to: "Đến ngày",
    apply: "Xem",
    interval: "Chu kỳ",
    hour: "Giờ",
    day: "Ngày",
    month: "Tháng",
    include_components: "Gồm các trang thành phần",
    previous_period: "Kỳ trước",
    realtime: "Đang truy cập (5 phút)",
    filters: "Bộ lọc",
    remove: "Bỏ",
    download_csv: "Tải CSV",
    sources: "Nguồn truy cập",
    snippet: "Mã nhúng",
    legacy_snippet: "Mã nhúng dạng cũ (_govaq)",
    contact: "Thông tin liên hệ",
    save: "Lưu",
    create: "Tạo mới",
    audit_log: "Nhật ký thay đổi",
    name: "Tên",
    domains: "Tên miền",
    kind: "Loại",
    parent: "Trực thuộc",
    role: "Vai trò",
    group: "Nhóm",
    when: "Thời điểm",
    who: "Người thực hiện",
    action: "Thao tác",
    target: "Đối tượng",
    detail: "Chi tiết",
    chart_title: "Lượt truy cập và lượt xem trang theo thời gian",
    no_data: "Chưa có dữ liệu",
    skip: "Bỏ qua đến nội dung",
    legal_rep: "Người đại diện theo pháp luật",
    person_responsible: "Người chịu trách nhiệm",
    job_title: "Chức vụ",
    address: "Địa chỉ",
    phone: "Điện thoại",
    email: "Thư điện tử",
    other_contact: "Liên hệ khác",
    site_created: "Đã tạo trang",
};

pub static EN: Texts = Texts {
    lang: "en",
    other_lang: "vi",
    other_lang_name: "Tiếng Việt",
    title: "EMC — Government portal monitoring",
    sign_in: "Sign in",
    sign_out: "Sign out",
    username: "User name",
    password: "Password",
    overview: "Overview",
    admin: "Administration",
    visits: "Visits",
    sessions: "Sessions",
    pageviews: "Page views",
    visitors: "Visitors",
    bounce_rate: "Bounce rate",
    avg_duration: "Average session duration",
    hits: "Hits",
    organic: "Organic search",
    referral: "Referral",
    direct: "Direct",
    social: "Social",
    campaign: "Campaign",
    site: "Site",
    sites: "Sites",
    agency: "Agency",
    agencies: "Agencies",
    users: "Users",
    from: "From",
    to: "To",
    apply: "Show",
    interval: "Interval",
    hour: "Hour",
    day: "Day",
    month: "Month",
    include_components: "Include component sites",
    previous_period: "Previous period",
    realtime: "Visitors now (5 minutes)",
    filters: "Filters",
    remove: "Remove",
    download_csv: "Download CSV",
    sources: "Sources",
    snippet: "Tag snippet",
    legacy_snippet: "Legacy snippet (_govaq)",
    contact: "Contact details",
    save: "Save",
    create: "Create",
    audit_log: "Audit log",
    name: "Name",
    domains: "Domains",
    kind: "Kind",
    parent: "Parent",
    role: "Role",
    group: "Group",
    when: "When",
    who: "Who",
    action: "Action",
    target: "Target",
    detail: "Detail",
    chart_title: "Visits and page views over time",
    no_data: "No data yet",
    skip: "Skip to content",
    legal_rep: "Legal representative",
    person_responsible: "Person responsible",
    job_title: "Title",
    address: "Address",
    phone: "Phone",
    email: "Email",
    other_contact: "Other contact",
    site_created: "Site created",
};

/// `?lang=` wins, then the `emc_lang` cookie, then Vietnamese.
pub fn pick(query_lang: Option<&str>, cookie_lang: Option<&str>) -> &'static Texts {
    match query_lang.or(cookie_lang) {
        Some("en") => &EN,
        _ => &VI,
    }
}

impl Texts {
    /// The label of a source class or a breakdown dimension.
    pub fn source(&self, class: &str) -> &'static str {
        match class {
            "direct" => self.direct,
            "organic" => self.organic,
            "social" => self.social,
            "referral" => self.referral,
            "campaign" => self.campaign,
            _ => "",
        }
    }

    pub fn dimension(&self, by: &str) -> &'static str {
        let vi = self.lang == "vi";
        match by {
            "page" => {
                if vi {
                    "Trang"
                } else {
                    "Page"
                }
            }
            "entry_page" => {
                if vi {
                    "Trang vào"
                } else {
                    "Entry page"
                }
            }
            "exit_page" => {
                if vi {
                    "Trang thoát"
                } else {
                    "Exit page"
                }
            }
            "source" => {
                if vi {
                    "Nguồn"
                } else {
                    "Source"
                }
            }
            "referrer" => {
                if vi {
                    "Trang giới thiệu"
                } else {
                    "Referrer"
                }
            }
            "utm_campaign" => {
                if vi {
                    "Chiến dịch UTM"
                } else {
                    "UTM campaign"
                }
            }
            "country" => {
                if vi {
                    "Quốc gia"
                } else {
                    "Country"
                }
            }
            "region" => {
                if vi {
                    "Tỉnh/Thành phố"
                } else {
                    "Province"
                }
            }
            "city" => {
                if vi {
                    "Thành phố"
                } else {
                    "City"
                }
            }
            "browser" => {
                if vi {
                    "Trình duyệt"
                } else {
                    "Browser"
                }
            }
            "os" => {
                if vi {
                    "Hệ điều hành"
                } else {
                    "OS"
                }
            }
            "device" => {
                if vi {
                    "Thiết bị"
                } else {
                    "Device"
                }
            }
            _ => "",
        }
    }
}
