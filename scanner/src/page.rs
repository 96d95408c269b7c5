//! What the checks need from a page's HTML, read once with scraper (html5ever) into plain
//! data: the parsed document is not `Send`, so it never crosses an `.await`.
use scraper::{ElementRef, Html, Selector};
use std::sync::LazyLock;
use url::Url;

/// A `<script>` element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// `src` resolved against the page.
    pub src: Option<Url>,
    pub data_site: Option<String>,
    pub data_label: Option<String>,
    /// The inline code (empty for an external script).
    pub code: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    pub scripts: Vec<Script>,
    /// Every `<a href>` with an http(s) target, resolved.
    pub links: Vec<Url>,
    /// An element the tag recognises as the label (`#btnEMC`, `[data-emc-label]`) or an
    /// element whose own text is "Đã kết nối EMC".
    pub label: bool,
    /// `<meta name="DC.x" content="…">`: (x as written, content trimmed).
    pub dc: Vec<(String, String)>,
    /// Sub-resources (scripts, styles, images, frames, media, form targets) fetched over http://.
    pub insecure: Vec<String>,
    /// The footer's text, whitespace collapsed (`<footer>`, or an element whose id or class
    /// says footer); `None` when the page has none.
    pub footer: Option<String>,
    /// `mailto:` addresses inside the footer.
    pub footer_mailto: Vec<String>,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("a valid selector")
}

static SCRIPT: LazyLock<Selector> = LazyLock::new(|| sel("script"));
static LINK: LazyLock<Selector> = LazyLock::new(|| sel("a[href]"));
static LABEL: LazyLock<Selector> = LazyLock::new(|| sel("#btnEMC, [data-emc-label]"));
static META: LazyLock<Selector> = LazyLock::new(|| sel("meta[name][content]"));
static BODY_ELEMENTS: LazyLock<Selector> = LazyLock::new(|| sel("body *"));
static FOOTER: LazyLock<Selector> = LazyLock::new(|| {
    sel("footer, [role=contentinfo], #footer, .footer, [id*=footer i], [class*=footer i]")
});
static MAILTO: LazyLock<Selector> = LazyLock::new(|| sel("a[href^=\"mailto:\" i]"));
/// Elements whose URL attribute the browser fetches as part of the page.
static SUBRESOURCES: LazyLock<Vec<(Selector, &'static str)>> = LazyLock::new(|| {
    vec![
        (sel("script[src]"), "src"),
        (sel("img[src]"), "src"),
        (sel("iframe[src]"), "src"),
        (sel("source[src]"), "src"),
        (sel("audio[src]"), "src"),
        (sel("video[src]"), "src"),
        (sel("embed[src]"), "src"),
        (sel("object[data]"), "data"),
        (sel("link[rel~=stylesheet i][href]"), "href"),
        (sel("form[action]"), "action"),
    ]
});

pub const LABEL_TEXT: &str = "Đã kết nối EMC";

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The element's text, its text nodes joined by spaces (`<p>a</p><p>b</p>` is "a b", not "ab").
fn text_of(e: &ElementRef) -> String {
    collapse(&e.text().collect::<Vec<_>>().join(" "))
}

/// Reads the facts of a page served at `base`.
pub fn read(html: &str, base: &Url) -> PageFacts {
    let doc = Html::parse_document(html);
    let resolve = |v: &str| base.join(v.trim()).ok();
    let scripts = doc
        .select(&SCRIPT)
        .map(|s| Script {
            src: s.value().attr("src").and_then(resolve),
            data_site: s.value().attr("data-site").map(|v| v.trim().to_owned()),
            data_label: s.value().attr("data-label").map(str::to_owned),
            code: s.text().collect(),
        })
        .collect();
    let links = doc
        .select(&LINK)
        .filter_map(|a| a.value().attr("href").and_then(resolve))
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .collect();
    let label = doc.select(&LABEL).next().is_some()
        || doc.select(&BODY_ELEMENTS).any(|e| {
            let own: String = e
                .children()
                .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                .collect();
            collapse(&own).eq_ignore_ascii_case(LABEL_TEXT)
        });
    let dc = doc
        .select(&META)
        .filter_map(|m| {
            let name = m.value().attr("name")?;
            let (prefix, rest) = name.split_once('.')?;
            if !prefix.eq_ignore_ascii_case("dc") {
                return None;
            }
            let element = rest.split('.').next().unwrap_or(rest).to_owned();
            let content = m.value().attr("content").unwrap_or("").trim().to_owned();
            Some((element, content))
        })
        .collect();
    let insecure = if base.scheme() == "https" {
        SUBRESOURCES
            .iter()
            .flat_map(|(s, attr)| doc.select(s).filter_map(move |e| e.value().attr(attr)))
            .filter_map(resolve)
            .filter(|u| u.scheme() == "http")
            .map(|u| u.to_string())
            .collect()
    } else {
        Vec::new()
    };
    let footers: Vec<ElementRef> = doc.select(&FOOTER).collect();
    // Nested matches (a footer inside a footer wrapper) would count twice: keep outermost.
    let outer: Vec<&ElementRef> = footers
        .iter()
        .filter(|f| {
            !f.ancestors()
                .any(|a| footers.iter().any(|o| o.id() == a.id()))
        })
        .collect();
    let footer = (!outer.is_empty()).then(|| {
        outer
            .iter()
            .map(|f| text_of(f))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let footer_mailto = outer
        .iter()
        .flat_map(|f| f.select(&MAILTO))
        .filter_map(|a| a.value().attr("href"))
        .map(|h| h[7..].split('?').next().unwrap_or("").to_owned())
        .collect();
    PageFacts {
        scripts,
        links,
        label,
        dc,
        insecure,
        footer,
        footer_mailto,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scripts_links_label_dc_footer_and_insecure_resources() {
        let base = Url::parse("https://a.gov.vn/x/").unwrap();
        let html = r#"<html><head>
          <meta name="DC.Title" content=" T "><meta name="dc.date.issued" content="2026-01-01">
          <meta name="DC.Creator" content=""><meta name="description" content="no">
          <script defer data-site="227" src="https://emc.gov.vn/tracker.js"></script>
          <script>var _govaq = [];</script>
          <link rel="stylesheet" href="http://cdn.example/a.css"><img src="/ok.png"><img src="http://x/i.png">
          </head><body><a href="/in">in</a><a href="mailto:x@y.vn">m</a><a href="https://b.gov.vn">b</a>
          <span> Đã  kết nối EMC </span>
          <div class="site-footer"><footer>Bộ A, Địa chỉ: 1 Phố B <a href="mailto:lh@a.gov.vn?subject=x">e</a></footer></div>
          </body></html>"#;
        let f = read(html, &base);
        assert_eq!(f.scripts.len(), 2);
        assert_eq!(f.scripts[0].data_site.as_deref(), Some("227"));
        assert_eq!(
            f.scripts[0].src.as_ref().map(Url::as_str),
            Some("https://emc.gov.vn/tracker.js")
        );
        assert!(f.scripts[1].code.contains("_govaq"));
        let links: Vec<&str> = f.links.iter().map(Url::as_str).collect();
        assert_eq!(links, ["https://a.gov.vn/in", "https://b.gov.vn/"]);
        assert!(f.label);
        assert_eq!(
            f.dc,
            [
                ("Title".to_owned(), "T".to_owned()),
                ("date".to_owned(), "2026-01-01".to_owned()),
                ("Creator".to_owned(), String::new())
            ]
        );
        assert_eq!(f.insecure, ["http://x/i.png", "http://cdn.example/a.css"]);
        assert_eq!(f.footer.as_deref(), Some("Bộ A, Địa chỉ: 1 Phố B e"));
        assert_eq!(f.footer_mailto, ["lh@a.gov.vn"]);
    }

    #[test]
    fn a_page_without_any_of_it() {
        let f = read("<p>hello", &Url::parse("http://a.gov.vn/").unwrap());
        assert!(!f.label && f.footer.is_none() && f.dc.is_empty() && f.scripts.is_empty());
    }
}
