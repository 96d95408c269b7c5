//! Ingest: one request (a beacon, a Matomo tracking request) or one imported line in, a typed
//! outcome out — `Result<Accepted, Rejection>`. Routes and middleware only map the outcome to
//! HTTP (`Rejection: IntoResponse`); nothing branches on a status code.
//!
//! - Accepted hits go to the queue as one group with their connection-log row (`202` follows
//!   the spool's `fdatasync`).
//! - Refusals, and bots dropped with a `202`, are counted in memory ([`refusals`]) and reach
//!   the connection log as rows with a count: never an `fdatasync`, never spool bytes.
//! - [`offline`] builds the stack the importer and `emc-loadtest seed` share.
pub mod offline;
pub mod refusals;
pub mod rejection;
mod request;

pub use refusals::Refusals;
pub use rejection::Rejection;
pub use request::{read_limited, Endpoint, RequestInfo};

use crate::beacon::{self, Beacon};
use crate::enrich::user_agent::BotKind;
use crate::matomo::{self, Params};
use crate::metrics::{EndpointLabel, Metrics, ReasonLabel};
use crate::pipeline::{DropReason, Hit, Origin, Pipeline};
use crate::queue::{Queue, Record};
use axum::body::Body;
use axum::http::HeaderMap;
use std::sync::Arc;

/// What became of an accepted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Its rows are in the queue (on disk, with the spool).
    Stored { session_id: u64 },
    /// A bot: answered as accepted, nothing stored but a count in the connection log.
    Bot(BotKind),
}

/// The ingest path shared by the handlers (cheap to clone).
#[derive(Debug, Clone)]
pub struct Ingest {
    pipeline: Arc<Pipeline>,
    queue: Queue,
    refusals: Arc<Refusals>,
}

impl Ingest {
    pub fn new(pipeline: Arc<Pipeline>, queue: Queue, refusals: Arc<Refusals>) -> Ingest {
        Ingest {
            pipeline,
            queue,
            refusals,
        }
    }

    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    pub fn refusals(&self) -> &Arc<Refusals> {
        &self.refusals
    }

    fn metrics(&self) -> &Metrics {
        self.pipeline.metrics()
    }

    /// `POST /api/event`: content type, body (size and deadline), JSON, pipeline, queue.
    pub async fn beacon(
        &self,
        mut info: RequestInfo,
        headers: &HeaderMap,
        body: Body,
        max_body_bytes: usize,
    ) -> Result<Accepted, Rejection> {
        if let Err(r) = request::check_content_type(headers) {
            return Err(self.refuse(&info, "", r));
        }
        let bytes = match read_limited(body, max_body_bytes).await {
            Ok(b) => b,
            Err(r) => return Err(self.refuse(&info, "", r)),
        };
        info.bytes = bytes.len();
        let beacon = match beacon::decode(&bytes) {
            Ok(b) => b,
            Err(e) => return Err(self.refuse(&info, "", Rejection::Malformed(e.to_string()))),
        };
        let hit = hit_from_beacon(beacon, &info, Origin::Beacon);
        self.live(&info, hit).await
    }

    /// One Matomo tracking request (`GET`/`POST /tracking`, or one request of a bulk).
    pub async fn matomo(
        &self,
        info: &RequestInfo,
        params: &Params,
        trusted: bool,
    ) -> Result<Accepted, Rejection> {
        let ctx = matomo::Context {
            client_ip: info.client_ip,
            user_agent: info.user_agent.clone(),
            received: info.received,
            trusted,
        };
        match matomo::decode(params, &ctx) {
            Ok(hit) => self.live(info, hit).await,
            Err(e) => {
                let site = params.get("idsite").unwrap_or_default();
                Err(self.refuse(info, site, Rejection::Malformed(e.to_string())))
            }
        }
    }

    /// A hit of live traffic: pipeline, then its rows and its connection-log row as one group.
    async fn live(&self, info: &RequestInfo, hit: Hit) -> Result<Accepted, Rejection> {
        let site = hit.site.clone();
        match self.pipeline.process(hit) {
            Ok(accepted) => {
                let mut records = accepted.records;
                let log = info.log_row(&site, &accepted.hostname, 202, "ok");
                records.push(Record::Connection(Box::new(log)));
                if let Err(e) = self.queue.push(records).await {
                    return Err(self.refuse(info, &site, Rejection::Spool(e)));
                }
                let endpoint = info.endpoint.key();
                self.metrics()
                    .accepted
                    .get_or_create(&EndpointLabel { endpoint })
                    .inc();
                Ok(Accepted::Stored {
                    session_id: accepted.session_id,
                })
            }
            Err(DropReason::Bot(kind)) => {
                let reason = DropReason::Bot(kind).reason();
                self.metrics()
                    .bots_dropped
                    .get_or_create(&ReasonLabel {
                        reason: kind.as_str(),
                    })
                    .inc();
                self.refusals.record(&info.refusal(&site, "", 202, reason));
                Ok(Accepted::Bot(kind))
            }
            Err(e) => {
                if let DropReason::Internal(detail) = &e {
                    tracing::error!(detail, "pipeline failure");
                }
                Err(self.refuse(info, &site, Rejection::Dropped(e)))
            }
        }
    }

    /// A hit without a request around it (an imported line, a seeded visit): pipeline and
    /// queue, no connection-log row.
    pub async fn offline(&self, hit: Hit) -> Result<Accepted, Rejection> {
        match self.pipeline.process(hit) {
            Ok(accepted) => {
                self.queue
                    .push(accepted.records)
                    .await
                    .map_err(Rejection::Spool)?;
                Ok(Accepted::Stored {
                    session_id: accepted.session_id,
                })
            }
            Err(DropReason::Bot(kind)) => Ok(Accepted::Bot(kind)),
            Err(e) => Err(Rejection::Dropped(e)),
        }
    }

    /// Counts a refused request (`emc_rejected_total` and the connection log's counts) and
    /// gives the rejection back for the answer.
    pub fn refuse(&self, info: &RequestInfo, site: &str, r: Rejection) -> Rejection {
        self.metrics().reject(r.reason());
        self.refusals
            .record(&info.refusal(site, r.hostname(), r.status().as_u16(), r.reason()));
        r
    }
}

pub fn hit_from_beacon(b: Beacon, info: &RequestInfo, origin: Origin) -> Hit {
    Hit {
        site: b.site.into_string(),
        name: b.name,
        url: b.url,
        referrer: b.referrer,
        title: b.title,
        screen_width: b.screen_width,
        engaged_ms: b.engaged_ms,
        timing: b.timing,
        meta: b.meta,
        props: b
            .props
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.into_text().chars().take(beacon::MAX_PROP_VALUE).collect(),
                )
            })
            .collect(),
        client_ip: info.client_ip,
        user_agent: info.user_agent.clone(),
        time: info.received,
        origin,
        fields: Default::default(),
    }
}
