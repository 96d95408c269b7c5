//! Checks on the HTML: `mixed_content`, `domain_gov_vn`, `label_visible` (as the markup shows
//! it), `dc_complete`, `links_components`, `link_parent`, `footer_contact`.
use super::{same_site, tag::Tag, CheckResult};
use crate::page::PageFacts;
use crate::target::Target;
use emc_sql::scan::Check;
use regex::Regex;
use std::sync::LazyLock;
use url::Url;

/// The six mandatory Dublin Core elements (Circular 22/2023, Appendix IV).
pub const DC_REQUIRED: [&str; 6] = [
    "Title",
    "Creator",
    "Date",
    "Publisher",
    "Description",
    "Identifier",
];

pub fn mixed_content(page_url: &Url, facts: &PageFacts) -> CheckResult {
    let c = Check::MixedContent;
    if page_url.scheme() != "https" {
        return CheckResult::na(c, "the homepage is served over http://");
    }
    let n = facts.insecure.len();
    let detail = facts
        .insecure
        .iter()
        .take(5)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    CheckResult::verdict(c, n == 0, n.to_string(), detail)
}

pub fn domain_gov_vn(domain: &str) -> CheckResult {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    let ok = d.ends_with(".gov.vn");
    let detail = if ok {
        String::new()
    } else {
        format!("{d} is not under .gov.vn")
    };
    CheckResult::verdict(Check::DomainGovVn, ok, d, detail)
}

/// The label as the markup shows it (the browser check decides visibility when it runs).
pub fn label_in_html(facts: &PageFacts, tag: Option<&Tag>) -> CheckResult {
    let c = Check::LabelVisible;
    if facts.label {
        CheckResult::pass(c, "html", "the label is in the page's HTML")
    } else if tag.is_some_and(|t| t.injects_label) {
        CheckResult::pass(c, "tag", "the tag renders the label")
    } else {
        CheckResult::fail(c, "", "no \"Đã kết nối EMC\" label in the homepage")
    }
}

/// The required DC elements a page lacks (absent or empty).
pub fn dc_missing(facts: &PageFacts) -> Vec<&'static str> {
    DC_REQUIRED
        .iter()
        .copied()
        .filter(|want| {
            !facts
                .dc
                .iter()
                .any(|(e, content)| e.eq_ignore_ascii_case(want) && !content.is_empty())
        })
        .collect()
}

/// `dc_complete` over the homepage and the sampled inner pages: (url, facts or why not read).
pub fn dc_complete(pages: &[(Url, Result<PageFacts, String>)]) -> CheckResult {
    let c = Check::DcComplete;
    let mut complete = 0;
    let mut notes = Vec::new();
    let mut read = 0;
    for (url, facts) in pages {
        match facts {
            Ok(f) => {
                read += 1;
                let missing = dc_missing(f);
                if missing.is_empty() {
                    complete += 1;
                } else {
                    notes.push(format!("{url}: missing {}", missing.join(", ")));
                }
            }
            Err(e) => notes.push(format!("{url}: not read ({e})")),
        }
    }
    if read == 0 {
        return CheckResult::error(c, notes.join("; "));
    }
    CheckResult::verdict(
        c,
        complete == read,
        format!("{complete}/{read}"),
        notes.join("; "),
    )
}

fn links_to(facts: &PageFacts, domains: &[String]) -> Option<Url> {
    facts
        .links
        .iter()
        .find(|l| {
            l.host_str()
                .is_some_and(|h| domains.iter().any(|d| same_site(h, d)))
        })
        .cloned()
}

pub fn links_components(target: &Target, facts: &PageFacts) -> CheckResult {
    let c = Check::LinksComponents;
    if target.kind != "portal" || target.components.is_empty() {
        return CheckResult::na(c, "not a portal with registered component sites");
    }
    let missing: Vec<String> = target
        .components
        .iter()
        .filter(|(_, domains)| links_to(facts, domains).is_none())
        .map(|(code, domains)| format!("{code} ({})", domains.join(" ")))
        .collect();
    let n = target.components.len();
    CheckResult::verdict(
        c,
        missing.is_empty(),
        format!("{}/{n}", n - missing.len()),
        if missing.is_empty() {
            String::new()
        } else {
            format!("no link to {}", missing.join(", "))
        },
    )
}

pub fn link_parent(target: &Target, facts: &PageFacts) -> CheckResult {
    let c = Check::LinkParent;
    if target.parent_domains.is_empty() {
        return CheckResult::na(c, "no parent portal registered");
    }
    match links_to(facts, &target.parent_domains) {
        Some(u) => CheckResult::pass(c, u.to_string(), ""),
        None => CheckResult::fail(
            c,
            "",
            format!("no link to {}", target.parent_domains.join(" or ")),
        ),
    }
}

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+84|\(\+84\)|\b0)[\s.\-]?\d(?:[\s.\-]?\d){7,10}\b").expect("regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}").expect("regex")
});
/// Words that introduce the unit, its address (Vietnamese and English).
const UNIT_WORDS: [&str; 5] = [
    "cơ quan chủ quản",
    "đơn vị chủ quản",
    "cơ quan chủ trì",
    "bản quyền thuộc",
    "đơn vị quản lý",
];
const ADDRESS_WORDS: [&str; 3] = ["địa chỉ", "address", "trụ sở"];

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// `footer_contact`: the footer gives the unit's name, address, phone and email.
pub fn footer_contact(target: &Target, facts: &PageFacts) -> CheckResult {
    let c = Check::FooterContact;
    let Some(text) = &facts.footer else {
        return CheckResult::fail(c, "0/4", "the homepage has no footer");
    };
    let lower = text.to_lowercase();
    let name = target
        .unit_names
        .iter()
        .any(|n| lower.contains(&n.to_lowercase()))
        || UNIT_WORDS.iter().any(|w| lower.contains(w));
    let address = (!target.contact_address.is_empty()
        && lower.contains(&target.contact_address.to_lowercase()))
        || ADDRESS_WORDS.iter().any(|w| lower.contains(w));
    let phone = PHONE.is_match(text)
        || (digits(&target.contact_phone).len() >= 8
            && digits(text).contains(&digits(&target.contact_phone)));
    let email = EMAIL.is_match(text) || !facts.footer_mailto.is_empty();
    let parts = [
        ("unit name", name),
        ("address", address),
        ("phone", phone),
        ("email", email),
    ];
    let missing: Vec<&str> = parts.iter().filter(|p| !p.1).map(|p| p.0).collect();
    CheckResult::verdict(
        c,
        missing.is_empty(),
        format!("{}/4", 4 - missing.len()),
        if missing.is_empty() {
            String::new()
        } else {
            format!("the footer lacks: {}", missing.join(", "))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page;
    use emc_sql::scan::Outcome;

    fn target() -> Target {
        Target {
            site: "1".into(),
            domain: "p.gov.vn".into(),
            kind: "portal".into(),
            components: vec![
                ("2".into(), vec!["a.p.gov.vn".into()]),
                ("3".into(), vec!["b.p.gov.vn".into()]),
            ],
            parent_domains: vec![],
            unit_names: vec!["Bộ Xây dựng".into()],
            contact_address: String::new(),
            contact_phone: String::new(),
            contact_email: String::new(),
        }
    }

    #[test]
    fn footer_parts_are_each_required() {
        let base = Url::parse("https://p.gov.vn/").unwrap();
        let cases = [
            ("<footer>BỘ XÂY DỰNG. Địa chỉ: 37 Lê Đại Hành. ĐT: 024 3976 0271. Email: vp@moc.gov.vn</footer>", Outcome::Pass, "4/4"),
            ("<footer>Bộ Xây dựng. Địa chỉ: 37 Lê Đại Hành</footer>", Outcome::Fail, "2/4"),
            ("<footer><p>Bộ Xây dựng</p><p>Địa chỉ: 37 Lê Đại Hành</p><p>ĐT: 024 3976 0271</p><p>vp@moc.gov.vn</p></footer>", Outcome::Pass, "4/4"),
            ("<div id=page-footer>Cơ quan chủ quản: X. Trụ sở: Y. Tel: +84 24 3976 0271 <a href='mailto:a@b.vn'>mail</a></div>", Outcome::Pass, "4/4"),
            ("<p>nothing</p>", Outcome::Fail, "0/4"),
        ];
        for (html, outcome, value) in cases {
            let r = footer_contact(&target(), &page::read(html, &base));
            assert_eq!(
                (r.outcome, r.value.as_str()),
                (outcome, value),
                "{html}: {r:?}"
            );
        }
    }

    #[test]
    fn component_links_and_dc() {
        let base = Url::parse("https://p.gov.vn/").unwrap();
        let f = page::read(
            r#"<a href="https://www.a.p.gov.vn/x">a</a><meta name="DC.Title" content="x">"#,
            &base,
        );
        let r = links_components(&target(), &f);
        assert_eq!((r.outcome, r.value.as_str()), (Outcome::Fail, "1/2"));
        assert!(r.detail.contains("3 (b.p.gov.vn)"));
        assert_eq!(
            dc_missing(&f),
            ["Creator", "Date", "Publisher", "Description", "Identifier"]
        );
        let r = dc_complete(&[
            (base.clone(), Ok(f)),
            (base.join("/x").unwrap(), Err("404".into())),
        ]);
        assert_eq!((r.outcome, r.value.as_str()), (Outcome::Fail, "0/1"));
    }
}
