//! Page templates (askama, auto-escaping on) and the parts every page shares.
use crate::auth::{self, Caller};
use crate::i18n::{self, Texts};
use askama::Template;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Html;

/// What the shared layout needs.
pub struct Chrome {
    pub t: &'static Texts,
    pub user: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
    /// This page's path and query, for the language switch.
    pub back: String,
}

impl Chrome {
    pub fn new(headers: &HeaderMap, uri: &Uri, caller: Option<&Caller>) -> Chrome {
        let query_lang = crate::params::pairs(uri.query())
            .into_iter()
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v);
        let t = i18n::pick(query_lang.as_deref(), auth::cookie(headers, "emc_lang"));
        Chrome {
            t,
            user: caller.map(|c| c.who.username.clone()),
            is_admin: caller.is_some_and(|c| c.who.is_admin()),
            csrf: caller.map(|c| c.csrf().to_owned()).unwrap_or_default(),
            back: uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: Chrome,
    status: u16,
    message: &'a str,
}

/// A minimal error page (Vietnamese chrome; the message is the API's).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let c = Chrome {
        t: &i18n::VI,
        user: None,
        is_admin: false,
        csrf: String::new(),
        back: "/".into(),
    };
    let page = ErrorPage {
        c,
        status: status.as_u16(),
        message,
    };
    Html(page.render().unwrap_or_else(|_| message.to_owned()))
}

/// The Dublin Core metadata of Circular 22 Appendix IV, carried by EMC's own public pages
/// as `<meta name="DC.…">` (the six mandatory elements, then Language, Type, Format, Rights).
pub struct DcMeta {
    pub title: String,
    pub creator: &'static str,
    pub date: String,
    pub publisher: &'static str,
    pub description: String,
    pub identifier: String,
    pub language: &'static str,
    pub kind: &'static str,
    pub format: &'static str,
    pub rights: &'static str,
}

impl DcMeta {
    pub fn new(
        title: &str,
        description: &str,
        identifier: &str,
        date: chrono::NaiveDate,
    ) -> DcMeta {
        DcMeta {
            title: title.to_owned(),
            creator: crate::open_data::PUBLISHER,
            date: date.to_string(),
            publisher: crate::open_data::PUBLISHER,
            description: description.to_owned(),
            identifier: identifier.to_owned(),
            language: "vi",
            kind: "Text",
            format: "text/html",
            rights: crate::open_data::LICENSE,
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub dc: DcMeta,
    pub login_csrf: String,
    pub error: Option<String>,
}

pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    pub arrow: &'static str,
    pub aria: &'static str,
}

pub struct ActiveFilter {
    pub label: &'static str,
    pub value: String,
    pub raw: String,
    pub remove_href: String,
}

pub struct Manage {
    pub code: String,
    pub snippet: String,
    pub legacy: String,
    /// (field name, label, value)
    pub fields: Vec<(&'static str, String, String)>,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub c: Chrome,
    pub notice: Option<String>,
    pub created: Option<(String, String)>,
    pub agencies: Vec<emc_sql::registry::AgencyRow>,
    pub sites: Vec<emc_sql::registry::SiteRow>,
    pub users: Vec<auth::UserRow>,
    pub audit: Vec<(String, crate::audit::AuditRow)>,
    /// The newest deliveries (local time, row).
    pub deliveries: Vec<(String, crate::notify::log::DeliveryRow)>,
    pub contact_fields: Vec<(&'static str, String)>,
}

/// Appendix I contact fields: (form name, label).
pub fn contact_labels(t: &Texts) -> Vec<(&'static str, String)> {
    vec![
        ("legal_rep_name", format!("{} — {}", t.legal_rep, t.name)),
        (
            "legal_rep_title",
            format!("{} — {}", t.legal_rep, t.job_title),
        ),
        (
            "contact_name",
            format!("{} — {}", t.person_responsible, t.name),
        ),
        (
            "contact_title",
            format!("{} — {}", t.person_responsible, t.job_title),
        ),
        ("contact_address", t.address.to_owned()),
        ("contact_phone", t.phone.to_owned()),
        ("contact_email", t.email.to_owned()),
        ("contact_other", t.other_contact.to_owned()),
    ]
}
