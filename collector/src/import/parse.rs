//! NCSA access-log lines (combined, and plain common) and the rule that decides which are page views.
//!
//! The tokenizer works on bytes and slices the line only at ASCII delimiters, so any input,
//! multibyte or garbage, yields a `LogLine` or a `ParseError`, never a panic. Quoted fields are
//! unescaped the way Apache (`\"`, `\\`, `\n`, `\xhh`) and nginx (`\xHH`) escape them; decoded
//! bytes that are not UTF-8 become U+FFFD.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub client: IpAddr,
    pub time: DateTime<Utc>,
    pub method: String,
    /// The request target as sent, e.g. `/a/b?x=1` or an absolute URL.
    pub target: String,
    pub protocol: String,
    pub status: u16,
    pub bytes: u64,
    /// `None` for `-` or empty, and in the plain common format.
    pub referrer: Option<String>,
    /// `""` for `-`, and in the plain common format.
    pub user_agent: String,
}

/// Why a line could not be read. The offending value is kept (at most 80 characters) for messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A field is missing or a bracket/quote is unterminated; names the field.
    #[error("malformed line: {0} missing or unterminated")]
    Malformed(&'static str),
    #[error("bad client ip {0:?}")]
    BadClientIp(String),
    #[error("bad timestamp {0:?}, want dd/Mon/yyyy:HH:MM:SS +zzzz")]
    BadTimestamp(String),
    #[error("bad request line {0:?}, want \"METHOD target HTTP/x\"")]
    BadRequestLine(String),
    #[error("bad status {0:?}, want three digits 100-599")]
    BadStatus(String),
    #[error("bad bytes {0:?}, want digits or -")]
    BadBytes(String),
}

impl ParseError {
    /// A short stable code for counters and reports.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed_line",
            Self::BadClientIp(_) => "bad_client_ip",
            Self::BadTimestamp(_) => "bad_timestamp",
            Self::BadRequestLine(_) => "bad_request_line",
            Self::BadStatus(_) => "bad_status",
            Self::BadBytes(_) => "bad_bytes",
        }
    }
}

fn snippet(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Parses `%h %l %u [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b "%{Referer}i" "%{User-agent}i"`.
/// The common format (no referrer and user agent) is accepted, and so are fields after the
/// user agent (nginx formats often append some); they are ignored. `%l` and `%u` are not kept.
/// A request line of `-`, an HTTP/0.9 line (`GET /`) or anything without an `HTTP/` protocol is
/// a `BadRequestLine`.
pub fn parse_combined(line: &str) -> Result<LogLine, ParseError> {
    let line = line.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut c = Cursor { s: line, pos: 0 };
    let host = c.token();
    if host.is_empty() {
        return Err(ParseError::Malformed("client"));
    }
    let client = parse_client(host)?;
    // `%l %u`: whatever stands before the `[` (a user name may hold spaces).
    let open = line[c.pos..]
        .find('[')
        .ok_or(ParseError::Malformed("timestamp"))?;
    c.pos += open + 1;
    let close = line[c.pos..]
        .find(']')
        .ok_or(ParseError::Malformed("timestamp"))?;
    let stamp = &line[c.pos..c.pos + close];
    c.pos += close + 1;
    let time = DateTime::parse_from_str(stamp, "%d/%b/%Y:%H:%M:%S %z")
        .map_err(|_| ParseError::BadTimestamp(snippet(stamp)))?
        .with_timezone(&Utc);
    c.skip_spaces();
    let request = c.quoted().ok_or(ParseError::Malformed("request"))?;
    let (method, target, protocol) = parse_request(&request)?;
    c.skip_spaces();
    let status = parse_status(c.token())?;
    c.skip_spaces();
    let bytes = parse_bytes(c.token())?;
    c.skip_spaces();
    let mut referrer = None;
    let mut user_agent = String::new();
    if c.peek() == Some(b'"') {
        referrer = Some(c.quoted().ok_or(ParseError::Malformed("referrer"))?);
        c.skip_spaces();
        if c.peek() == Some(b'"') {
            user_agent = c.quoted().ok_or(ParseError::Malformed("user_agent"))?;
        }
    }
    referrer = referrer.filter(|r: &String| !r.is_empty() && r != "-");
    if user_agent == "-" {
        user_agent.clear();
    }
    Ok(LogLine {
        client,
        time,
        method,
        target,
        protocol,
        status,
        bytes,
        referrer,
        user_agent,
    })
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Up to the next space or tab (both ASCII, so the slice ends on a char boundary).
    fn token(&mut self) -> &'a str {
        let rest = &self.s[self.pos..];
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        self.pos += end;
        &rest[..end]
    }

    /// A `"…"` field, unescaped. A `"` closes it only when followed by whitespace or the end of
    /// the line, so a stray unescaped quote inside a user agent does not cut the field short.
    /// `None` when the cursor is not at a quote or the field is unterminated.
    fn quoted(&mut self) -> Option<String> {
        let b = self.s.as_bytes();
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.pos + 1;
        let mut i = start;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' if matches!(b.get(i + 1), None | Some(b' ' | b'\t')) => {
                    self.pos = i + 1;
                    return Some(unescape(&self.s[start..i]));
                }
                _ => i += 1,
            }
        }
        None
    }
}

fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let (byte, used) = match b[i + 1] {
            b'"' => (b'"', 2),
            b'\\' => (b'\\', 2),
            b'n' => (b'\n', 2),
            b'r' => (b'\r', 2),
            b't' => (b'\t', 2),
            b'b' => (0x08, 2),
            b'v' => (0x0b, 2),
            b'x' => match (b.get(i + 2).and_then(hex), b.get(i + 3).and_then(hex)) {
                (Some(h), Some(l)) => ((h << 4) | l, 4),
                _ => (b'\\', 1),
            },
            _ => (b'\\', 1),
        };
        out.push(byte);
        i += used;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex(c: &u8) -> Option<u8> {
    (*c as char).to_digit(16).map(|d| d as u8)
}

fn parse_client(host: &str) -> Result<IpAddr, ParseError> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse()
        .map_err(|_| ParseError::BadClientIp(snippet(host)))
}

fn parse_request(r: &str) -> Result<(String, String, String), ParseError> {
    let bad = || ParseError::BadRequestLine(snippet(r));
    let (first, last) = match (r.find(' '), r.rfind(' ')) {
        (Some(f), Some(l)) if f < l => (f, l),
        _ => return Err(bad()),
    };
    let (method, target, protocol) = (&r[..first], r[first + 1..last].trim(), &r[last + 1..]);
    let tchar = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if method.is_empty() || !method.bytes().all(tchar) || target.is_empty() {
        return Err(bad());
    }
    let version = protocol.strip_prefix("HTTP/").ok_or_else(bad)?;
    if version.is_empty() || !version.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return Err(bad());
    }
    Ok((method.to_owned(), target.to_owned(), protocol.to_owned()))
}

fn parse_status(s: &str) -> Result<u16, ParseError> {
    if s.is_empty() {
        return Err(ParseError::Malformed("status"));
    }
    match s.parse::<u16>() {
        Ok(n)
            if s.len() == 3
                && s.bytes().all(|c| c.is_ascii_digit())
                && (100..=599).contains(&n) =>
        {
            Ok(n)
        }
        _ => Err(ParseError::BadStatus(snippet(s))),
    }
}

fn parse_bytes(s: &str) -> Result<u64, ParseError> {
    match s {
        "" => Err(ParseError::Malformed("bytes")),
        "-" => Ok(0),
        _ if s.bytes().all(|c| c.is_ascii_digit()) => {
            s.parse().map_err(|_| ParseError::BadBytes(snippet(s)))
        }
        _ => Err(ParseError::BadBytes(snippet(s))),
    }
}

/// Why a well-formed line is not a page view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// Any method but `GET` (`HEAD` included).
    NotGet,
    /// Neither 2xx nor 304.
    Status,
    /// The path ends in one of [`STATIC_ASSET_EXTENSIONS`].
    StaticAsset,
    /// The caller's bot predicate said so.
    Bot,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotGet => "method",
            Self::Status => "status",
            Self::StaticAsset => "static_asset",
            Self::Bot => "bot",
        }
    }
}

/// Extensions (compared case-insensitively) whose requests are not page views: styles and
/// scripts, images, fonts, data and machine files (`robots.txt`, `sitemap.xml`, feeds), media,
/// and downloadable documents and archives (a PDF fetch is a download, not a page view).
/// Everything else is a page: no extension, `.html`, `.htm`, `.php`, `.asp(x)`, `.jsp`, `.shtml`…
#[rustfmt::skip]
pub const STATIC_ASSET_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "wasm", // styles, scripts
    "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "bmp", "tif", "tiff", // images
    "woff", "woff2", "ttf", "otf", "eot", // fonts
    "json", "xml", "txt", "rss", "atom", "webmanifest", // data, robots.txt, sitemap.xml, feeds
    "mp3", "mp4", "m4a", "webm", "ogg", "ogv", "wav", "mov", "avi", "flv", // media
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "rtf", "csv", // documents
    "zip", "rar", "7z", "gz", "tar", "exe", "apk", "dmg", "iso", // archives, installers
];

/// Whether a path (as from [`split_target`]) names a static asset by its extension. A
/// `;param` suffix (`/a.jsp;jsessionid=…`) is ignored; a dotfile such as `/.env` has no extension.
pub fn is_static_asset(path: &str) -> bool {
    let segment = path.rsplit('/').next().unwrap_or(path);
    let segment = segment.split(';').next().unwrap_or(segment);
    match segment.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => STATIC_ASSET_EXTENSIONS
            .iter()
            .any(|e| e.eq_ignore_ascii_case(ext)),
        _ => false,
    }
}

/// A page view is a `GET` answered 2xx or 304, for a path that is not a static asset (see
/// [`STATIC_ASSET_EXTENSIONS`]), from a user agent that `is_bot` rejects. Checked in that order,
/// so the reason is the first rule broken.
pub fn page_view_rule(line: &LogLine, is_bot: impl Fn(&str) -> bool) -> Result<(), SkipReason> {
    if line.method != "GET" {
        return Err(SkipReason::NotGet);
    }
    if !(200..300).contains(&line.status) && line.status != 304 {
        return Err(SkipReason::Status);
    }
    if is_static_asset(split_target(&line.target).0) {
        return Err(SkipReason::StaticAsset);
    }
    if is_bot(&line.user_agent) {
        return Err(SkipReason::Bot);
    }
    Ok(())
}

/// The path part of the target without query or fragment, percent-decoding NOT applied; and the
/// query string, if any (`Some("")` for a bare `?`). For an absolute-form target
/// (`http://host/a?b`) the scheme and authority are dropped and an empty path is `/`.
pub fn split_target(target: &str) -> (&str, Option<&str>) {
    let mut rest = target;
    let mut absolute = false;
    if let Some(i) = target.find("://") {
        let scheme = &target[..i];
        if !scheme.is_empty()
            && scheme
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c))
        {
            let after = &target[i + 3..];
            rest = &after[after.find(['/', '?', '#']).unwrap_or(after.len())..];
            absolute = true;
        }
    }
    let rest = &rest[..rest.find('#').unwrap_or(rest.len())];
    let (path, query) = match rest.find('?') {
        Some(q) => (&rest[..q], Some(&rest[q + 1..])),
        None => (rest, None),
    };
    (
        if absolute && path.is_empty() {
            "/"
        } else {
            path
        },
        query,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "[10/Oct/2000:13:55:36 -0700]";
    #[rustfmt::skip]
    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";

    /// (line, client, UTC time, method, target, protocol, status, bytes, referrer, user agent)
    #[rustfmt::skip]
    type Want = (&'static str, &'static str, &'static str, &'static str, &'static str, u16, u64, Option<&'static str>, &'static str);

    #[test]
    fn parses_every_shape() {
        #[rustfmt::skip]
        let cases: Vec<(String, Want)> = vec![
            (format!(r#"127.0.0.1 - frank {T} "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#),
             ("127.0.0.1", "2000-10-10T20:55:36Z", "GET", "/apache_pb.gif", "HTTP/1.0", 200, 2326, Some("http://www.example.com/start.html"), "Mozilla/4.08 [en] (Win98; I ;Nav)")),
            // plain common format
            (format!(r#"127.0.0.1 - frank {T} "GET /apache_pb.gif HTTP/1.0" 200 2326"#),
             ("127.0.0.1", "2000-10-10T20:55:36Z", "GET", "/apache_pb.gif", "HTTP/1.0", 200, 2326, None, "")),
            (format!("113.161.1.2 - - [05/Mar/2024:08:15:02 +0700] \"GET /tin-tuc/thong-bao?page=2 HTTP/1.1\" 200 15321 \"https://www.google.com.vn/\" \"{CHROME}\""),
             ("113.161.1.2", "2024-03-05T01:15:02Z", "GET", "/tin-tuc/thong-bao?page=2", "HTTP/1.1", 200, 15321, Some("https://www.google.com.vn/"), CHROME)),
            (format!(r#"2001:ee0:4f4e:1c30::1 - - {T} "GET / HTTP/2.0" 304 0 "-" "-""#),
             ("2001:ee0:4f4e:1c30::1", "2000-10-10T20:55:36Z", "GET", "/", "HTTP/2.0", 304, 0, None, "")),
            (format!(r#"[::1] - - {T} "HEAD /x HTTP/1.1" 200 - "" "curl/8.5.0""#),
             ("::1", "2000-10-10T20:55:36Z", "HEAD", "/x", "HTTP/1.1", 200, 0, None, "curl/8.5.0")),
            // Apache escapes: \" and \\ and \xhh; trailing \r\n
            (format!("10.0.0.1 - - {T} \"GET /q?s=\\\"a\\\" HTTP/1.1\" 200 5 \"-\" \"UA \\\"quoted\\\" \\\\ back\"\r\n"),
             ("10.0.0.1", "2000-10-10T20:55:36Z", "GET", "/q?s=\"a\"", "HTTP/1.1", 200, 5, None, "UA \"quoted\" \\ back")),
            // nginx escapes UTF-8 bytes and quotes as \xHH
            (format!(r#"10.0.0.1 - - {T} "GET / HTTP/1.1" 200 5 "https://vi.wikipedia.org/wiki/H\xE1\xBB\x93_Ch\xC3\xADnh" "\x22x\x22 \xFF""#),
             ("10.0.0.1", "2000-10-10T20:55:36Z", "GET", "/", "HTTP/1.1", 200, 5, Some("https://vi.wikipedia.org/wiki/Hồ_Chính"), "\"x\" \u{FFFD}")),
            // nginx with appended fields ($request_time, $upstream_response_time, …)
            (format!(r#"10.0.0.1 - - {T} "GET /a HTTP/1.1" 200 5 "-" "Cốc Cốc" "-" 0.012 0.010 ."#),
             ("10.0.0.1", "2000-10-10T20:55:36Z", "GET", "/a", "HTTP/1.1", 200, 5, None, "Cốc Cốc")),
            (format!(r#"10.0.0.1 - - {T} "GET /a HTTP/1.1" 200 5 rt=0.012 uct="0.000""#),
             ("10.0.0.1", "2000-10-10T20:55:36Z", "GET", "/a", "HTTP/1.1", 200, 5, None, "")),
            // raw UTF-8, a space inside the target, an unescaped stray quote, a user with a space
            (format!(r#"1.2.3.4 - nguyễn văn {T}   "GET /tìm-kiếm?q=hà nội HTTP/1.1"  200  9 "https://đâu.vn/" "Mo"zilla ệ""#),
             ("1.2.3.4", "2000-10-10T20:55:36Z", "GET", "/tìm-kiếm?q=hà nội", "HTTP/1.1", 200, 9, Some("https://đâu.vn/"), "Mo\"zilla ệ")),
            (r#"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET http://cong.gov.vn/a?b=1 HTTP/1.1" 502 0 "-" "-""#.into(),
             ("1.2.3.4", "2024-01-01T00:00:00Z", "GET", "http://cong.gov.vn/a?b=1", "HTTP/1.1", 502, 0, None, "")),
            (format!(r#"1.2.3.4 - - {T} "OPTIONS * HTTP/1.1" 200 0 "-" "ApacheBench/2.3""#),
             ("1.2.3.4", "2000-10-10T20:55:36Z", "OPTIONS", "*", "HTTP/1.1", 200, 0, None, "ApacheBench/2.3")),
        ];
        for (line, w) in cases {
            let got = parse_combined(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            let want = LogLine {
                client: w.0.parse().unwrap(),
                time: DateTime::parse_from_rfc3339(w.1)
                    .unwrap()
                    .with_timezone(&Utc),
                method: w.2.into(),
                target: w.3.into(),
                protocol: w.4.into(),
                status: w.5,
                bytes: w.6,
                referrer: w.7.map(String::from),
                user_agent: w.8.into(),
            };
            assert_eq!(got, want, "{line:?}");
        }
    }

    #[test]
    fn rejects_every_broken_shape() {
        let ok_tail = r#""GET / HTTP/1.1" 200 5 "-" "ua""#;
        #[rustfmt::skip]
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "malformed_line"),
            ("  \r\n".into(), "malformed_line"),
            (format!("example.com - - {T} {ok_tail}"), "bad_client_ip"),
            (format!("ệ - - {T} {ok_tail}"), "bad_client_ip"),
            (format!("1.2.3.999 - - {T} {ok_tail}"), "bad_client_ip"),
            (format!("1.2.3.4 - - 10/Oct/2000:13:55:36 -0700 {ok_tail}"), "malformed_line"),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700".into(), "malformed_line"),
            (format!("1.2.3.4 - - [32/Oct/2000:13:55:36 -0700] {ok_tail}"), "bad_timestamp"),
            (format!("1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] {ok_tail}"), "bad_timestamp"),
            (format!("1.2.3.4 - - [10/Oct/2000:13:55:36] {ok_tail}"), "bad_timestamp"),
            (format!("1.2.3.4 - - [10/Thg10/2000:13:55:36 +0700] {ok_tail}"), "bad_timestamp"),
            (format!(r#"1.2.3.4 - - {T} "-" 400 0 "-" "-""#), "bad_request_line"),
            (format!(r#"1.2.3.4 - - {T} "" 400 0 "-" "-""#), "bad_request_line"),
            (format!(r#"1.2.3.4 - - {T} "\x16\x03\x01\x00\xA5\x01\x00\x00\xA1\x03\x03" 400 157 "-" "-""#), "bad_request_line"),
            (format!(r#"1.2.3.4 - - {T} "GET /" 200 5"#), "bad_request_line"),
            (format!(r#"1.2.3.4 - - {T} "GET / FOO/1.1" 200 5"#), "bad_request_line"),
            (format!(r#"1.2.3.4 - - {T} "GÉT / HTTP/1.1" 200 5"#), "bad_request_line"),
            (format!(r#"1.2.3.4 - - {T} "GET  HTTP/1.1" 200 5"#), "bad_request_line"),
            (format!(r#"1.2.3.4 - - {T} GET / HTTP/1.1 200 5"#), "malformed_line"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1 200 5"#), "malformed_line"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1""#), "malformed_line"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" abc 5"#), "bad_status"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 2000 5"#), "bad_status"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 099 5"#), "bad_status"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" +20 5"#), "bad_status"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 200"#), "malformed_line"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 200 12a"#), "bad_bytes"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 200 -1"#), "bad_bytes"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 200 99999999999999999999999"#), "bad_bytes"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 200 5 "http://unterminated"#), "malformed_line"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 200 5 "-" "ua ends in escape\""#), "malformed_line"),
            // NUL bytes, a zone index, a 1 MB line, a lone client, an empty or out-of-range stamp
            (format!("\0\0\0 - - {T} {ok_tail}"), "bad_client_ip"),
            (format!("fe80::1%eth0 - - {T} {ok_tail}"), "bad_client_ip"),
            ("9".repeat(1 << 20), "bad_client_ip"),
            ("1.2.3.4".into(), "malformed_line"),
            (format!("1.2.3.4 - - [] {ok_tail}"), "bad_timestamp"),
            (format!("1.2.3.4 - - [10/Oct/2000:13:55:36 +9999] {ok_tail}"), "bad_timestamp"),
            (format!("1.2.3.4 - - [10/Oct/99999:13:55:36 +0000] {ok_tail}"), "bad_timestamp"),
            (format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 600 5"#), "bad_status"),
        ];
        for (line, reason) in cases {
            let err = parse_combined(&line).expect_err(&line);
            assert_eq!(err.reason(), reason, "{line:?}: {err}");
        }
    }

    #[test]
    fn display_names_the_field() {
        #[rustfmt::skip]
        let cases = [
            (ParseError::Malformed("bytes"), "bytes"),
            (ParseError::BadClientIp("x".into()), "client ip"),
            (ParseError::BadTimestamp("x".into()), "timestamp"),
            (ParseError::BadRequestLine("x".into()), "request line"),
            (ParseError::BadStatus("x".into()), "status"),
            (ParseError::BadBytes("x".into()), "bytes"),
        ];
        for (err, field) in cases {
            assert!(err.to_string().contains(field), "{err}");
        }
        let long = parse_combined(&format!("{} - - {T}", "ệ".repeat(200))).unwrap_err();
        assert_eq!(long, ParseError::BadClientIp("ệ".repeat(80)));
    }

    #[test]
    fn never_panics_on_cut_or_spliced_multibyte_input() {
        let line = format!(
            r#"2402:800::1 - bà {T} "GET /tìm-kiếm?q=\xE1\xBB hà HTTP/1.1" 200 9 "https://đâu.vn/\" x" "Cốc Cốc ệ\x""#
        );
        let bounds: Vec<usize> = (0..=line.len())
            .filter(|&i| line.is_char_boundary(i))
            .collect();
        for &i in &bounds {
            let _ = parse_combined(&line[..i]);
            let _ = parse_combined(&line[i..]);
            for splice in ["ệ", "\"", "\\", "[", "]", " ", "\\x", "\r"] {
                let _ = parse_combined(&format!("{}{splice}{}", &line[..i], &line[i..]));
            }
        }
        assert!(parse_combined(&line).is_ok());
    }

    fn line(method: &str, status: u16, target: &str, ua: &str) -> LogLine {
        let mut l = parse_combined(&format!(r#"1.2.3.4 - - {T} "GET / HTTP/1.1" 200 0"#)).unwrap();
        (l.method, l.status, l.target, l.user_agent) =
            (method.into(), status, target.into(), ua.into());
        l
    }

    #[test]
    fn page_view_rule_table() {
        use SkipReason::*;
        let is_bot = |ua: &str| ua.to_ascii_lowercase().contains("bot");
        #[rustfmt::skip]
        type Case = (&'static str, u16, &'static str, &'static str, Result<(), SkipReason>);
        #[rustfmt::skip]
        let cases: &[Case] = &[
            ("GET", 200, "/", CHROME, Ok(())),
            ("GET", 304, "/tin-tuc/bai-viet.html", CHROME, Ok(())),
            ("GET", 206, "/index.htm", CHROME, Ok(())),
            ("GET", 200, "/portal/page.aspx?id=1", CHROME, Ok(())),
            ("GET", 200, "/a.php", CHROME, Ok(())),
            ("GET", 200, "/dvc/page.jsp;jsessionid=AB.CD", CHROME, Ok(())),
            ("GET", 200, "/.well-known/x", CHROME, Ok(())),
            ("GET", 200, "/.env", CHROME, Ok(())),
            ("GET", 200, "/v1.2/trang", CHROME, Ok(())),
            ("GET", 200, "/search?q=file.css", CHROME, Ok(())),
            ("GET", 200, "https://cong.gov.vn", CHROME, Ok(())),
            ("GET", 200, "/tìm-kiếm", CHROME, Ok(())),
            ("HEAD", 200, "/", CHROME, Err(NotGet)),
            ("POST", 200, "/", CHROME, Err(NotGet)),
            ("get", 200, "/", CHROME, Err(NotGet)),
            ("POST", 404, "/a.css", "Googlebot", Err(NotGet)),
            ("GET", 301, "/", CHROME, Err(Status)),
            ("GET", 404, "/", CHROME, Err(Status)),
            ("GET", 500, "/a.css", CHROME, Err(Status)),
            ("GET", 199, "/", CHROME, Err(Status)),
            ("GET", 200, "/static/app.CSS?v=3", CHROME, Err(StaticAsset)),
            ("GET", 200, "/js/main.min.js", CHROME, Err(StaticAsset)),
            ("GET", 200, "/favicon.ico", CHROME, Err(StaticAsset)),
            ("GET", 304, "/img/logo.webp#x", CHROME, Err(StaticAsset)),
            ("GET", 200, "/fonts/roboto.woff2", CHROME, Err(StaticAsset)),
            ("GET", 200, "/robots.txt", CHROME, Err(StaticAsset)),
            ("GET", 200, "/sitemap.xml", "Googlebot/2.1", Err(StaticAsset)),
            ("GET", 200, "/van-ban/qd-123.pdf", CHROME, Err(StaticAsset)),
            ("GET", 200, "http://cong.gov.vn/a.png?x", CHROME, Err(StaticAsset)),
            ("GET", 200, "/", "Mozilla/5.0 (compatible; Googlebot/2.1)", Err(Bot)),
            ("GET", 304, "/tin-tuc", "bingbot", Err(Bot)),
        ];
        for &(method, status, target, ua, want) in cases {
            assert_eq!(
                page_view_rule(&line(method, status, target, ua), is_bot),
                want,
                "{method} {status} {target} {ua}"
            );
        }
        let names = [NotGet, Status, StaticAsset, Bot].map(SkipReason::as_str);
        assert_eq!(names, ["method", "status", "static_asset", "bot"]);
    }

    #[test]
    fn split_target_table() {
        #[rustfmt::skip]
        let cases = [
            ("/a/b?x=1", "/a/b", Some("x=1")),
            ("/a/b", "/a/b", None),
            ("/a?", "/a", Some("")),
            ("/a?x=1?y#frag", "/a", Some("x=1?y")),
            ("/a#f?not-query", "/a", None),
            ("/p%20q?đ=1", "/p%20q", Some("đ=1")),
            ("https://cong.gov.vn/a?b=1", "/a", Some("b=1")),
            ("http://cong.gov.vn", "/", None),
            ("http://cong.gov.vn?x", "/", Some("x")),
            ("/redirect?to=http://x/y", "/redirect", Some("to=http://x/y")),
            ("*", "*", None),
            ("", "", None),
        ];
        for (target, path, query) in cases {
            assert_eq!(split_target(target), (path, query), "{target}");
        }
    }
}
