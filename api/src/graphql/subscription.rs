//! Subscriptions (graphql-transport-ws at `/graphql/ws`): `flagRaised`, `flagUpdated`,
//! `referralReceived`, `referralUpdated`, `caseUpdated(id)`.
//!
//! Each event on the bus names a row; every subscriber loads it through its own scope (out of
//! scope: the event is skipped) and its fields pass the same field guard as any query. The
//! stream ends when the subscriber's token expires.

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext, SubscriptionFieldFuture, TypeRef};
use futures::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use super::context::RequestCtx;
use super::model::{SubscriptionDef, TypeDef, arg};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::events::{EventBus, EventKind};
use crate::policy;
use crate::store;

/// How a subscription turns an event into a row the subscriber may see.
#[derive(Clone, Copy)]
enum Feed {
    Flag,
    Referral { received: bool },
    Case,
}

/// One event's delivery (`events::Delivery::seq`) and what decides a row's scope and facts: the
/// same for every subscriber of one agency, unit and jurisdiction, so one load per delivery
/// serves them all. The delivery is part of the key: the next change of the same row is a new
/// delivery and loads the row afresh (keyed by the row alone, a second change within the
/// minute answered with the row as the first change left it).
type ScopeKey = (u64, Uuid, &'static str, Option<String>, Option<Vec<String>>);

/// Rows loaded for event deliveries, shared by subscribers with the same scope (kept for a
/// minute).
/// One shared load: when it started, and its result once loaded.
type SharedCell = (
    std::time::Instant,
    Arc<tokio::sync::OnceCell<Option<Shared>>>,
);

#[derive(Default)]
struct SharedLoads {
    entries: std::sync::Mutex<std::collections::HashMap<ScopeKey, SharedCell>>,
}

#[derive(Clone)]
enum Shared {
    Flag(Arc<store::workflow::FlagView>),
    Referral(Arc<store::workflow::ReferralView>),
    Case(Arc<store::case::CaseView>),
}

impl SharedLoads {
    fn global() -> &'static SharedLoads {
        static LOADS: std::sync::OnceLock<SharedLoads> = std::sync::OnceLock::new();
        LOADS.get_or_init(SharedLoads::default)
    }

    fn cell(&self, key: ScopeKey) -> Arc<tokio::sync::OnceCell<Option<Shared>>> {
        let mut entries = match self.entries.lock() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = std::time::Instant::now();
        if entries.len() > 10_000 {
            entries
                .retain(|_, (at, _)| now.duration_since(*at) < std::time::Duration::from_secs(60));
        }
        entries
            .entry(key)
            .or_insert_with(|| (now, Arc::new(tokio::sync::OnceCell::new())))
            .1
            .clone()
    }
}

async fn load(
    db: &sea_orm::DatabaseConnection,
    p: &Principal,
    feed: Feed,
    delivery: u64,
    id: Uuid,
) -> ApiResult<Option<FieldValue<'static>>> {
    let key: ScopeKey = (
        delivery,
        id,
        p.agency.code(),
        p.unit.clone(),
        p.jurisdiction.clone(),
    );
    let cell = SharedLoads::global().cell(key);
    let shared = cell
        .get_or_try_init(|| async {
            Ok::<_, ApiError>(match feed {
                Feed::Flag => store::workflow::flags_by_ids(db, p, &[id])
                    .await?
                    .into_iter()
                    .next()
                    .map(|f| Shared::Flag(Arc::new(f))),
                Feed::Referral { .. } => store::workflow::referrals_by_ids(db, p, &[id])
                    .await?
                    .into_iter()
                    .next()
                    .map(|r| Shared::Referral(Arc::new(r))),
                Feed::Case => store::case::by_ids(db, p, &[id])
                    .await?
                    .into_iter()
                    .next()
                    .map(|c| Shared::Case(Arc::new(c))),
            })
        })
        .await?
        .clone();
    Ok(match (shared, feed) {
        (Some(Shared::Flag(f)), Feed::Flag) => Some(FieldValue::owned_any(f)),
        (Some(Shared::Referral(r)), Feed::Referral { received }) => {
            (!received || r.row.to_agency == p.agency.code()).then(|| FieldValue::owned_any(r))
        }
        (Some(Shared::Case(c)), Feed::Case) => Some(FieldValue::owned_any(c)),
        _ => None,
    })
}

fn subscription(
    name: &'static str,
    ty: &'static str,
    description: &'static str,
    kind: EventKind,
    feed: Feed,
    by_id: bool,
) -> SubscriptionDef {
    let rule = policy::rule("Subscription", name);
    SubscriptionDef {
        name,
        description,
        ty: TypeRef::named_nn(ty),
        args: if by_id {
            vec![arg("id", TypeRef::named_nn(TypeRef::ID), "The case.")]
        } else {
            vec![]
        },
        rule,
        subscribe: Arc::new(move |ctx: ResolverContext<'_>| {
            SubscriptionFieldFuture::new(async move {
                let stream = open(&ctx, name, rule, kind, feed, by_id).map_err(|e| {
                    let rid = RequestCtx::of(&ctx)
                        .map(|r| r.request_id.clone())
                        .unwrap_or_default();
                    e.into_graphql(&rid)
                })?;
                Ok(relifetime(stream))
            })
        }),
    }
}

type EventStream = futures::stream::BoxStream<'static, async_graphql::Result<FieldValue<'static>>>;

/// Owned values fit any lifetime the schema asks for.
fn relifetime<'a>(
    s: EventStream,
) -> futures::stream::BoxStream<'a, async_graphql::Result<FieldValue<'a>>> {
    #[allow(clippy::map_identity)]
    s.map(|r| r.map(|v| -> FieldValue<'a> { v })).boxed()
}

fn open(
    ctx: &ResolverContext<'_>,
    name: &'static str,
    rule: Option<policy::Rule>,
    kind: EventKind,
    feed: Feed,
    by_id: bool,
) -> ApiResult<EventStream> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let rule =
        rule.ok_or_else(|| ApiError::forbidden(format!("Subscription.{name} has no access rule")))?;
    policy::check_static(&req.principal, rule, "Subscription")
        .map_err(|d| d.into_error("Subscription", name))?;
    let only = if by_id {
        Some(super::input::id_arg(ctx, "id")?)
    } else {
        None
    };
    let bus = ctx
        .data_opt::<EventBus>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no event bus")))?;
    let principal = req.principal.clone();
    // The primary: a subscription's context reads it (`http::graphql::reads_primary`), since a
    // lagging replica may not hold an event's row yet.
    let db = req.read_db.clone();
    let remaining =
        u64::try_from(principal.expires_at - chrono::Utc::now().timestamp()).unwrap_or(0);
    let expiry = tokio::time::sleep(std::time::Duration::from_secs(remaining));
    let events = BroadcastStream::new(bus.subscribe())
        .filter_map(move |event| {
            let principal = principal.clone();
            let db = db.clone();
            async move {
                let delivery = match event {
                    Ok(d) => d,
                    Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "subscriber lagged behind the event bus");
                        return None;
                    }
                };
                let event = delivery.event;
                if event.kind != kind || only.is_some_and(|id| id != event.id) {
                    return None;
                }
                match load(&db, &principal, feed, delivery.seq, event.id).await {
                    Ok(Some(value)) => Some(Ok(value)),
                    Ok(None) => None,
                    Err(err) => Some(Err(err.into_graphql("-"))),
                }
            }
        })
        .take_until(expiry);
    Ok(events.boxed())
}

/// The subscription root.
pub(crate) fn types() -> Vec<TypeDef> {
    vec![TypeDef::Subscription {
        fields: vec![
            subscription(
                "flagRaised",
                "VictimFlag",
                "Embassy flags as they are raised (those you may see).",
                EventKind::FlagRaised,
                Feed::Flag,
                false,
            ),
            subscription(
                "flagUpdated",
                "VictimFlag",
                "Flags as they move or are verified.",
                EventKind::FlagUpdated,
                Feed::Flag,
                false,
            ),
            subscription(
                "referralReceived",
                "Referral",
                "Referrals sent to your agency.",
                EventKind::ReferralReceived,
                Feed::Referral { received: true },
                false,
            ),
            subscription(
                "referralUpdated",
                "Referral",
                "Referrals you may see, as they are answered, revoked or completed.",
                EventKind::ReferralUpdated,
                Feed::Referral { received: false },
                false,
            ),
            subscription(
                "caseUpdated",
                "Case",
                "Changes to one case.",
                EventKind::CaseUpdated,
                Feed::Case,
                true,
            ),
        ],
    }]
}
