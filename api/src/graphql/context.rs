//! What a request carries through the resolvers: who calls, its request id, the databases, the
//! per-request batch loaders and the audit buffer.
//!
//! Built once per request by the HTTP layer from the authenticated [`Principal`] and inserted
//! into the GraphQL request data. Resolvers read it through [`RequestCtx::of`]; they never read
//! the token or headers themselves.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::batch::Batcher;
use super::loaders::{
    CaseById, EventsByCase, FlagsByCase, HistoryOf, IdentifiersByPerson, IndictmentsByCase,
    LinksByCase, MembersByNetwork, NetworkById, NetworkCaseLinks, PartiesByCase, PartiesByPerson,
    PersonById, ReferralsByCase, SupportByPerson, VerdictsByCase,
};
use crate::audit::AuditBuffer;
use crate::auth::Principal;

/// The request's context.
pub(crate) struct RequestCtx {
    /// The authenticated caller.
    pub(crate) principal: Arc<Principal>,
    /// The request id (`x-request-id`), for logs and masked errors.
    pub(crate) request_id: String,
    /// The GraphQL operation name (for audit events).
    pub(crate) operation: String,
    /// The primary database (writes, and reads that must see them).
    pub(crate) db: DatabaseConnection,
    /// The read database (a replica when configured, else the primary).
    pub(crate) read_db: DatabaseConnection,
    /// Person-level reads and denials waiting to be written to the audit trail.
    pub(crate) audit: AuditBuffer,
    /// Batch loaders scoped to this caller.
    pub(crate) loaders: Loaders,
    /// Where mutations announce their changes to subscribers.
    pub(crate) events: Option<crate::events::EventBus>,
    /// The `_entities` items resolved to `null` (response key, index), for
    /// [`super::NullEntities`].
    pub(crate) null_entities: std::sync::Mutex<std::collections::HashSet<(String, usize)>>,
    /// The `nodes` lists of flat pages, for [`super::flat::FlatLists`].
    pub(crate) flat_lists: super::flat::Pending,
}

/// The batch loaders of one request; each applies the caller's scope to every batch.
pub(crate) struct Loaders {
    pub(crate) case: Batcher<uuid::Uuid, CaseById>,
    pub(crate) person: Batcher<uuid::Uuid, PersonById>,
    pub(crate) parties_by_case: Batcher<uuid::Uuid, PartiesByCase>,
    pub(crate) parties_by_person: Batcher<uuid::Uuid, PartiesByPerson>,
    pub(crate) identifiers: Batcher<uuid::Uuid, IdentifiersByPerson>,
    pub(crate) indictments: Batcher<uuid::Uuid, IndictmentsByCase>,
    pub(crate) verdicts: Batcher<uuid::Uuid, VerdictsByCase>,
    pub(crate) history: Batcher<uuid::Uuid, HistoryOf>,
    pub(crate) network: Batcher<uuid::Uuid, NetworkById>,
    pub(crate) members: Batcher<uuid::Uuid, MembersByNetwork>,
    pub(crate) cases_of_network: Batcher<uuid::Uuid, NetworkCaseLinks>,
    pub(crate) networks_of_case: Batcher<uuid::Uuid, NetworkCaseLinks>,
    pub(crate) support: Batcher<uuid::Uuid, SupportByPerson>,
    pub(crate) events: Batcher<uuid::Uuid, EventsByCase>,
    pub(crate) flags_of_case: Batcher<uuid::Uuid, FlagsByCase>,
    pub(crate) referrals_of_case: Batcher<uuid::Uuid, ReferralsByCase>,
    pub(crate) links: Batcher<uuid::Uuid, LinksByCase>,
}

impl Loaders {
    fn new(principal: &Arc<Principal>, db: &DatabaseConnection) -> Loaders {
        fn dl<T: async_graphql::dataloader::Loader<uuid::Uuid>>(
            loader: T,
        ) -> Batcher<uuid::Uuid, T> {
            // A batch closes when the request has no more keys for it (`super::batch`).
            Batcher::new(loader, 500)
        }
        let p = principal.clone();
        Loaders {
            case: dl(CaseById {
                p: p.clone(),
                db: db.clone(),
            }),
            person: dl(PersonById {
                p: p.clone(),
                db: db.clone(),
            }),
            parties_by_case: dl(PartiesByCase {
                p: p.clone(),
                db: db.clone(),
            }),
            parties_by_person: dl(PartiesByPerson {
                p: p.clone(),
                db: db.clone(),
            }),
            identifiers: dl(IdentifiersByPerson {
                p: p.clone(),
                db: db.clone(),
            }),
            indictments: dl(IndictmentsByCase {
                p: p.clone(),
                db: db.clone(),
            }),
            verdicts: dl(VerdictsByCase { p, db: db.clone() }),
            history: dl(HistoryOf { db: db.clone() }),
            network: dl(NetworkById {
                p: principal.clone(),
                db: db.clone(),
            }),
            members: dl(MembersByNetwork {
                p: principal.clone(),
                db: db.clone(),
            }),
            cases_of_network: dl(NetworkCaseLinks {
                db: db.clone(),
                by_case: false,
            }),
            networks_of_case: dl(NetworkCaseLinks {
                db: db.clone(),
                by_case: true,
            }),
            support: dl(SupportByPerson {
                p: principal.clone(),
                db: db.clone(),
            }),
            events: dl(EventsByCase {
                p: principal.clone(),
                db: db.clone(),
            }),
            flags_of_case: dl(FlagsByCase {
                p: principal.clone(),
                db: db.clone(),
            }),
            referrals_of_case: dl(ReferralsByCase {
                p: principal.clone(),
                db: db.clone(),
            }),
            links: dl(LinksByCase {
                p: principal.clone(),
                db: db.clone(),
            }),
        }
    }
}

impl RequestCtx {
    /// A context for one request.
    pub(crate) fn new(
        principal: Arc<Principal>,
        request_id: String,
        operation: String,
        db: DatabaseConnection,
        read_db: DatabaseConnection,
    ) -> RequestCtx {
        let loaders = Loaders::new(&principal, &read_db);
        RequestCtx {
            principal,
            request_id,
            operation,
            db,
            read_db,
            audit: AuditBuffer::default(),
            loaders,
            events: None,
            null_entities: Default::default(),
            flat_lists: Default::default(),
        }
    }

    /// The same context, announcing changes on `events`.
    pub(crate) fn with_events(mut self, events: crate::events::EventBus) -> RequestCtx {
        self.events = Some(events);
        self
    }

    /// The context of the request a resolver runs in.
    pub(crate) fn of<'a>(ctx: &async_graphql::Context<'a>) -> Option<&'a Arc<RequestCtx>> {
        ctx.data_opt::<Arc<RequestCtx>>()
    }
}
