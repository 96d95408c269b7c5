//! Email over SMTP with `lettre`: `EMC_SMTP_URL` (`smtp://host:port` in clear, as a local relay
//! speaks; `smtps://user:pass@host:465` with TLS from the first byte; `smtp://…?tls=required` for
//! STARTTLS) and `EMC_MAIL_FROM`. A message is a plain-text part, an optional HTML alternative
//! and any attachments.
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("EMC_SMTP_URL: {0}")]
    Url(String),
    #[error("email address {addr:?}: {reason}")]
    Address { addr: String, reason: String },
    #[error("building the message: {0}")]
    Build(String),
    /// The server refused for good (5xx): retrying will not help.
    #[error("SMTP refused: {0}")]
    Permanent(String),
    /// Connection, timeout or 4xx: worth another attempt.
    #[error("SMTP: {0}")]
    Transient(String),
}

impl MailError {
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient(_))
    }
}

/// A file attached to a message.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What to send, whoever receives it.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// The SMTP transport and the sender address, built once from the configuration.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer(from {})", self.from)
    }
}

/// A recipient or sender address, checked.
pub fn mailbox(addr: &str) -> Result<Mailbox, MailError> {
    addr.trim().parse().map_err(|e| MailError::Address {
        addr: addr.to_owned(),
        reason: format!("{e}"),
    })
}

/// Checks `EMC_SMTP_URL` and `EMC_MAIL_FROM` before anything starts (the error names them).
pub fn check_config(cfg: &super::NotifyConfig) -> Result<(), MailError> {
    match cfg.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => Mailer::new(url, &cfg.mail_from).map(|_| ()),
        None => mailbox(&cfg.mail_from).map(|_| ()),
    }
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(Mailer {
            transport,
            from: mailbox(from)?,
        })
    }

    /// The MIME message for `to`: `multipart/mixed` of (`multipart/alternative` text + HTML)
    /// and the attachments; a text-only mail without attachments is a single part.
    pub fn message(&self, to: &str, mail: &Mail) -> Result<Message, MailError> {
        let builder = Message::builder()
            .from(self.from.clone())
            .to(mailbox(to)?)
            .subject(mail.subject.clone());
        let text = SinglePart::plain(mail.text.clone());
        let built = match (&mail.html, mail.attachments.is_empty()) {
            (None, true) => builder.singlepart(text),
            (Some(html), true) => builder.multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                html.clone(),
            )),
            (html, false) => {
                let mut mixed = match html {
                    Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
                        mail.text.clone(),
                        html.clone(),
                    )),
                    None => MultiPart::mixed().singlepart(text),
                };
                for a in &mail.attachments {
                    let ct = ContentType::parse(&a.content_type)
                        .map_err(|e| MailError::Build(format!("{}: {e}", a.content_type)))?;
                    mixed = mixed.singlepart(
                        MimeAttachment::new(a.filename.clone()).body(a.bytes.clone(), ct),
                    );
                }
                builder.multipart(mixed)
            }
        };
        built.map_err(|e| MailError::Build(e.to_string()))
    }

    /// One attempt to hand the message to the SMTP server.
    pub async fn send(&self, to: &str, mail: &Mail) -> Result<(), MailError> {
        let message = self.message(to, mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_addresses_are_checked() {
        assert!(Mailer::new("smtp://127.0.0.1:2525", "emc@example.gov.vn").is_ok());
        assert!(Mailer::new("smtps://u:p@mail.example.gov.vn:465", "emc@example.gov.vn").is_ok());
        assert!(matches!(
            Mailer::new("http://x", "emc@example.gov.vn"),
            Err(MailError::Url(_))
        ));
        assert!(matches!(
            Mailer::new("smtp://127.0.0.1:2525", "not an address"),
            Err(MailError::Address { .. })
        ));
    }

    #[test]
    fn a_report_mail_is_text_html_and_attachments() {
        let m = Mailer::new("smtp://127.0.0.1:2525", "EMC <emc@example.gov.vn>").unwrap();
        let mail = Mail {
            subject: "Báo cáo tháng".into(),
            text: "Xin chào".into(),
            html: Some("<p>Xin chào</p>".into()),
            attachments: vec![Attachment {
                filename: "bao-cao.csv".into(),
                content_type: "text/csv; charset=utf-8".into(),
                bytes: b"site,visits\n227,5\n".to_vec(),
            }],
        };
        let raw =
            String::from_utf8(m.message("a@example.gov.vn", &mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("filename=\"bao-cao.csv\""), "{raw}");
    }
}
