//! Headless Chromium for the browser tests, over the DevTools protocol (chromiumoxide),
//! as BROWSER.md measured: Debian's `/usr/bin/chromium`, a fresh profile per browser,
//! `*.gov.vn` resolved to 127.0.0.1, a desktop Chrome user agent (the collector drops
//! `HeadlessChrome` as a bot), console errors captured from the first byte of the page.
use anyhow::Context;
use chromiumoxide::cdp::browser_protocol::log::{EventEntryAdded, LogEntryLevel};
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::BrowserConfig;
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

pub const CHROMIUM: &str = "/usr/bin/chromium";

const LAUNCH_ATTEMPTS: u32 = 3;
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(60);

/// What the browser says it is: desktop Chrome on Linux, not `HeadlessChrome`.
pub const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

/// A running headless Chromium with its own profile.
pub struct Browser {
    inner: chromiumoxide::Browser,
    handler: JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a headless Chromium. Launches are taken one at a time in a test process, and a
    /// launch that times out or dies is tried again (three attempts, 60 s each): on a fresh
    /// machine the first start of Chromium (cold disk, first-run state under `$HOME`) has been
    /// seen to miss chromiumoxide's 20 s default when two tests started browsers at once.
    pub async fn launch() -> anyhow::Result<Browser> {
        static LAUNCH: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _one_at_a_time = LAUNCH.lock().await;
        let mut failures = Vec::new();
        for attempt in 1..=LAUNCH_ATTEMPTS {
            match Self::launch_once().await {
                Ok(browser) => return Ok(browser),
                Err(e) => {
                    eprintln!("chromium launch attempt {attempt}/{LAUNCH_ATTEMPTS} failed: {e:#}");
                    failures.push(format!("attempt {attempt}: {e:#}"));
                }
            }
        }
        anyhow::bail!("chromium did not start: {}", failures.join("; "))
    }

    async fn launch_once() -> anyhow::Result<Browser> {
        let profile = tempfile::tempdir().context("a profile directory")?;
        let config = BrowserConfig::builder()
            .chrome_executable(CHROMIUM)
            .no_sandbox()
            .user_data_dir(profile.path())
            .args([
                "disable-gpu",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "no-first-run",
            ])
            .arg(("host-resolver-rules", "MAP *.gov.vn 127.0.0.1"))
            .arg(("user-agent", USER_AGENT))
            .launch_timeout(LAUNCH_TIMEOUT)
            .build()
            .map_err(anyhow::Error::msg)?;
        let started = Instant::now();
        let (inner, mut handler) =
            chromiumoxide::Browser::launch(config)
                .await
                .with_context(|| {
                    format!(
                        "launching {CHROMIUM} (gave up after {:.1} s)",
                        started.elapsed().as_secs_f64()
                    )
                })?;
        // The handler drives the connection: poll it for the browser's whole life, errors
        // included (a page closing mid-message is one).
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Ok(Browser {
            inner,
            handler,
            _profile: profile,
        })
    }

    /// A new tab listening for console errors, then sent to `url`.
    pub async fn open(&self, url: &str) -> anyhow::Result<Page> {
        let page = self
            .inner
            .new_page("about:blank")
            .await
            .context("a new tab")?;
        page.enable_log().await?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let mut listeners = Vec::new();
        let mut console = page.event_listener::<EventConsoleApiCalled>().await?;
        let sink = errors.clone();
        listeners.push(tokio::spawn(async move {
            while let Some(e) = console.next().await {
                if e.r#type == ConsoleApiCalledType::Error {
                    let text: Vec<String> = e
                        .args
                        .iter()
                        .map(|a| {
                            a.value.as_ref().map_or_else(
                                || a.description.clone().unwrap_or_default(),
                                |v| v.to_string(),
                            )
                        })
                        .collect();
                    push(&sink, format!("console.error: {}", text.join(" ")));
                }
            }
        }));
        let mut thrown = page.event_listener::<EventExceptionThrown>().await?;
        let sink = errors.clone();
        listeners.push(tokio::spawn(async move {
            while let Some(e) = thrown.next().await {
                let d = &e.exception_details;
                let what = d
                    .exception
                    .as_ref()
                    .and_then(|x| x.description.clone())
                    .unwrap_or_else(|| d.text.clone());
                push(
                    &sink,
                    format!(
                        "uncaught: {what} ({}:{})",
                        d.url.clone().unwrap_or_default(),
                        d.line_number
                    ),
                );
            }
        }));
        let mut log = page.event_listener::<EventEntryAdded>().await?;
        let sink = errors.clone();
        listeners.push(tokio::spawn(async move {
            while let Some(e) = log.next().await {
                if e.entry.level == LogEntryLevel::Error {
                    push(
                        &sink,
                        format!(
                            "log: {} {}",
                            e.entry.text,
                            e.entry.url.clone().unwrap_or_default()
                        ),
                    );
                }
            }
        }));
        page.goto(url)
            .await
            .with_context(|| format!("loading {url}"))?;
        Ok(Page {
            page,
            errors,
            listeners,
        })
    }

    pub async fn close(mut self) {
        let _ = self.inner.close().await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.inner.wait()).await;
        self.handler.abort();
    }
}

fn push(errors: &Mutex<Vec<String>>, e: String) {
    if let Ok(mut v) = errors.lock() {
        v.push(e);
    }
}

/// One tab.
pub struct Page {
    pub page: chromiumoxide::Page,
    errors: Arc<Mutex<Vec<String>>>,
    listeners: Vec<JoinHandle<()>>,
}

impl Page {
    /// Evaluates a JS expression and returns its JSON value.
    pub async fn eval<T: serde::de::DeserializeOwned>(&self, js: &str) -> anyhow::Result<T> {
        let v = self
            .page
            .evaluate(js)
            .await
            .with_context(|| format!("evaluating {js}"))?;
        v.into_value().with_context(|| format!("the value of {js}"))
    }

    /// Polls a JS expression until it is `true`.
    pub async fn wait_for(&self, js: &str, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            if self.eval::<bool>(js).await.unwrap_or(false) {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "`{js}` still false after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks the element at `selector` as a user would (mouse events at its centre).
    pub async fn click(&self, selector: &str) -> anyhow::Result<()> {
        self.page
            .find_element(selector)
            .await
            .with_context(|| format!("finding {selector}"))?
            .click()
            .await?;
        Ok(())
    }

    /// Leaves the page, which hides it: its engagement beacon goes out.
    pub async fn hide(&self) -> anyhow::Result<()> {
        self.page.goto("about:blank").await?;
        Ok(())
    }

    /// Writes a PNG under `target/browser-screenshots/` and returns its path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::workspace_root().join("target"));
        let dir = target.join("browser-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        self.page
            .save_screenshot(ScreenshotParams::builder().full_page(true).build(), &path)
            .await?;
        Ok(path)
    }

    /// Console errors and uncaught exceptions so far, without the favicon's 404 and without
    /// Chromium's own warning about a download over plain HTTP (the fixtures are served on
    /// http://*.gov.vn; the warning is the browser's, not the page's or the tag's).
    pub fn console_errors(&self) -> Vec<String> {
        let all = self.errors.lock().map(|v| v.clone()).unwrap_or_default();
        all.into_iter()
            .filter(|e| {
                !e.contains("favicon.ico") && !e.contains("was loaded over an insecure connection")
            })
            .collect()
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        for l in &self.listeners {
            l.abort();
        }
    }
}
