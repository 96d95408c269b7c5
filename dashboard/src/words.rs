//! Labels of the ranking, compliance, health, retention and open-data pages: `(key, vi, en)`,
//! read in templates as `c.t.word("key")`. Vietnamese first, the Circular's own terms.
use crate::i18n::Texts;

const WORDS: &[(&str, &str, &str)] = &[
    ("scan", "Kết quả quét", "Scan results"),
    ("scans", "Quét trang", "Site scans"),
    (
        "scan_open_data",
        "Kết quả lần quét gần nhất của mọi trang đã đăng ký (mỗi dòng một tiêu chí).",
        "The latest scan of every registered site (one row per check).",
    ),
    ("scan_now", "Quét ngay", "Scan now"),
    (
        "scan_now_hint",
        "Máy quét sẽ quét trang trong vài giây tới.",
        "The scanner picks the request up within seconds.",
    ),
    (
        "scan_changes",
        "Thay đổi so với lần quét trước",
        "Changed since the previous scan",
    ),
    (
        "never_scanned",
        "Trang chưa được quét.",
        "This site has not been scanned yet.",
    ),
    ("check", "Tiêu chí kiểm tra", "Check"),
    ("outcome", "Kết quả", "Outcome"),
    ("measured", "Giá trị đo", "Measured"),
    ("how_to_fix", "Cách khắc phục", "How to fix"),
    (
        "history",
        "Lịch sử (mới nhất trước)",
        "History (newest first)",
    ),
    (
        "back_to_site",
        "Về trang thống kê",
        "Back to the site's report",
    ),
    ("failing_check", "Tiêu chí không đạt", "Failing check"),
    (
        "failing_by_check",
        "Số trang không đạt theo tiêu chí",
        "Sites failing each check",
    ),
    ("failing_checks", "Tiêu chí không đạt", "Failing checks"),
    ("scanned_at", "Thời điểm quét", "Scanned at"),
    ("scan_down", "Trang không truy cập được", "Sites down"),
    (
        "scan_untagged",
        "Trang chưa gắn mã EMC",
        "Sites without the EMC tag",
    ),
    (
        "scan_wrong_tag",
        "Trang gắn mã sai",
        "Sites with a wrong tag",
    ),
    ("ranking", "Xếp hạng", "Ranking"),
    (
        "compliance",
        "Tuân thủ Thông tư 22",
        "Circular 22 compliance",
    ),
    ("retention", "Lưu trữ dữ liệu", "Data retention"),
    ("open_data", "Dữ liệu mở", "Open data"),
    ("year", "Năm", "Year"),
    ("group", "Nhóm", "Group"),
    ("ministry", "Bộ, cơ quan ngang bộ", "Ministries"),
    ("province", "Tỉnh, thành phố", "Provinces"),
    ("other", "Cơ quan khác", "Other agencies"),
    (
        "components",
        "Trang thành phần của cổng",
        "Component sites of portal",
    ),
    ("method", "Phương pháp", "Method"),
    ("weighted", "Tổng hợp theo tiêu chí", "Weighted criteria"),
    ("visits_only", "Theo lượt truy cập", "Visits only"),
    ("rank", "Hạng", "Rank"),
    ("change", "Thay đổi", "Change"),
    ("score", "Điểm", "Score"),
    ("grade", "Xếp loại", "Grade"),
    ("traffic", "Lưu lượng", "Traffic"),
    ("engagement", "Tương tác", "Engagement"),
    ("connection", "Kết nối", "Connection"),
    ("site_search", "Tìm kiếm trong trang", "Site search"),
    ("search_keyword", "Từ khóa", "Keyword"),
    ("search_category", "Chuyên mục", "Category"),
    ("searches", "Lượt tìm kiếm", "Searches"),
    ("no_result", "Không có kết quả", "No result"),
    (
        "search_exits",
        "Rời trang sau khi tìm",
        "Left after searching",
    ),
    ("label", "Nhãn EMC", "EMC label"),
    ("metadata", "Siêu dữ liệu DC", "DC metadata"),
    ("domain", "Tên miền", "Domain"),
    ("speed", "Tốc độ", "Speed"),
    ("security", "An toàn (HTTPS)", "Security (HTTPS)"),
    (
        "page_loads",
        "Lượt tải trang đo được",
        "Page loads measured",
    ),
    ("threshold", "Ngưỡng", "Threshold"),
    ("meeting", "Đạt", "Meeting"),
    ("share", "Tỷ lệ", "Share"),
    (
        "dc_complete",
        "Đủ siêu dữ liệu DC bắt buộc",
        "All mandatory DC elements",
    ),
    ("label_seen", "Thấy nhãn EMC", "EMC label seen"),
    ("https", "Qua HTTPS", "Over HTTPS"),
    ("days_reporting", "Số ngày có dữ liệu", "Days reporting"),
    ("last_seen", "Lần cuối nhận dữ liệu", "Last seen"),
    ("never", "chưa từng", "never"),
    ("silent", "Mất kết nối", "Silent"),
    ("silent_sites", "Trang mất kết nối", "Silent sites"),
    (
        "failing_pages",
        "Trang vi phạm nhiều nhất",
        "Pages that fail most",
    ),
    ("slow_loads", "Tải chậm", "Slow loads"),
    ("missing_dc", "Thiếu DC", "Missing DC"),
    ("unlabelled", "Không nhãn", "No label"),
    ("insecure", "Không HTTPS", "Not HTTPS"),
    ("rejected", "Yêu cầu bị từ chối", "Requests rejected"),
    ("requests", "Yêu cầu", "Requests"),
    ("reason", "Lý do", "Reason"),
    (
        "fleet",
        "Toàn bộ trang trong phạm vi",
        "Every site in scope",
    ),
    ("all_sites", "Tất cả", "All"),
    ("policy", "Chính sách", "Policy"),
    ("months", "tháng", "months"),
    ("raw_tables", "Bảng dữ liệu gốc", "Raw tables"),
    ("rollups", "Bảng tổng hợp", "Rollups"),
    ("table", "Bảng", "Table"),
    ("partitions", "Phân vùng", "Partitions"),
    ("rows", "Dòng", "Rows"),
    ("oldest", "Dữ liệu cũ nhất", "Oldest data"),
    ("last_runs", "Các lần chạy gần nhất", "Last runs"),
    ("datasets", "Bộ dữ liệu", "Datasets"),
    (
        "monthly",
        "Số liệu hằng tháng của từng trang",
        "Monthly figures per site",
    ),
    (
        "catalog",
        "Danh mục DCAT-AP (JSON-LD)",
        "DCAT-AP catalog (JSON-LD)",
    ),
    ("license", "Giấy phép", "License"),
    ("yes", "Có", "Yes"),
    (
        "deliveries",
        "Thư và webhook đã gửi",
        "Emails and webhooks sent",
    ),
    ("channel", "Kênh", "Channel"),
    ("recipient", "Người nhận", "Recipient"),
    ("subject", "Tiêu đề", "Subject"),
    ("attempts", "Số lần thử", "Attempts"),
    ("report_weekly", "Báo cáo hằng tuần", "Weekly report"),
    ("report_monthly", "Báo cáo hằng tháng", "Monthly report"),
    ("subscriptions", "Đăng ký nhận thông báo", "Subscriptions"),
    ("alerts", "Cảnh báo", "Alerts"),
    ("reports", "Báo cáo", "Reports"),
    ("webhook", "Webhook (URL https)", "Webhook (https URL)"),
    ("open_alerts", "Cảnh báo đang mở", "Open alerts"),
    ("recent_alerts", "Cảnh báo gần đây", "Recent alerts"),
    ("rule", "Quy tắc", "Rule"),
    ("alert_rules", "Quy tắc cảnh báo của trang", "Alert rules of a site"),
    (
        "alert_rules_help",
        "Để trống là dùng giá trị mặc định (hiện mờ). Thời gian chờ tính bằng giây.",
        "Leave a field blank to keep the default (shown greyed). Cooldown in seconds.",
    ),
    ("rule_enabled", "Bật", "Enabled"),
    ("rule_threshold", "Ngưỡng", "Threshold"),
    ("rule_floor", "Mức sàn", "Floor"),
    ("rule_cooldown", "Thời gian chờ (giây)", "Cooldown (s)"),
    ("rule_default", "Mặc định", "Default"),
    ("rule_on", "Bật", "On"),
    ("rule_off", "Tắt", "Off"),
    ("show", "Xem", "Show"),
    ("opened", "Bắt đầu", "Opened"),
    ("resolved", "Đã khắc phục", "Resolved"),
    ("still_open", "Đang mở", "Open"),
    ("no", "Không", "No"),
    (
        "map_title",
        "Lượt truy cập theo tỉnh, thành phố (34 đơn vị từ 1/7/2025)",
        "Visits by province and city (the 34 units since 1 July 2025)",
    ),
    ("map_none", "không có", "none"),
    (
        "map_outside",
        "Ngoài Việt Nam hoặc không xác định",
        "Outside Vietnam or unknown",
    ),
    (
        "map_merged",
        "Tỉnh, thành phố gồm nhiều tỉnh cũ: lọc theo từng tên cũ trong bảng Tỉnh/Thành phố bên dưới.",
        "Provinces made of several former ones: filter by each former name in the Province table below.",
    ),
    // Goals, annotations and shared links (issue 15).
    ("goals", "Mục tiêu chuyển đổi", "Goals"),
    ("goal", "Mục tiêu", "Goal"),
    ("goal_match", "Điều kiện hoàn thành", "Completed by"),
    ("conversions", "Lượt chuyển đổi", "Conversions"),
    ("unique_converters", "Khách chuyển đổi", "Unique converters"),
    ("conversion_rate", "Tỷ lệ chuyển đổi", "Conversion rate"),
    ("add_goal", "Thêm mục tiêu", "Add a goal"),
    (
        "goal_hint",
        "Sự kiện: tên sự kiện (ví dụ dvc khi nộp hồ sơ dịch vụ công). Trang: đường dẫn, dấu * thay cho bất kỳ ký tự nào (ví dụ /thu-tuc/*).",
        "Event: the event's name (e.g. dvc, a public-service dossier submitted). Page: a path, * standing for any characters (e.g. /thu-tuc/*).",
    ),
    ("no_goals", "Chưa có mục tiêu nào.", "No goal yet."),
    ("goal_value", "Tên sự kiện hoặc đường dẫn", "Event name or path"),
    ("delete", "Xóa", "Delete"),
    ("agency_wide", "cả cơ quan", "whole agency"),
    ("annotations", "Ghi chú trên biểu đồ", "Chart annotations"),
    ("add_annotation", "Thêm ghi chú", "Add an annotation"),
    ("annotation_text", "Nội dung", "Text"),
    ("end_date", "Đến ngày (không bắt buộc)", "Until (optional)"),
    ("date", "Ngày", "Date"),
];

impl Texts {
    /// The label of `key` in this language (the key itself when unknown).
    pub fn word<'a>(&self, key: &'a str) -> &'a str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(key, |(_, vi, en)| if self.lang == "vi" { vi } else { en })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_unique_and_both_languages_answer() {
        for (i, (k, vi, en)) in super::WORDS.iter().enumerate() {
            assert!(super::WORDS[i + 1..].iter().all(|w| w.0 != *k), "{k} twice");
            assert_eq!(crate::i18n::VI.word(k), *vi);
            assert_ne!(*en, "");
        }
    }
}
