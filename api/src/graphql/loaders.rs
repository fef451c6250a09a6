//! The loaders' queries: nested lists and references load in one scoped query per batch, never
//! one per parent row (no N+1). They implement async-graphql's `Loader`; `super::batch` gathers
//! the keys of a batch.
//!
//! Each loader belongs to one request and carries its principal, so every batch applies the
//! caller's row scope; a key out of scope is simply absent from the result.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::store::case::CaseView;
use crate::store::justice::{self, IndictmentView, VerdictView};
use crate::store::person::{self, IdentifierView, PartyView, PersonView};

/// How rows name the parent they are grouped under.
#[allow(non_snake_case)]
trait GroupKey {
    fn case_id(&self) -> Uuid {
        Uuid::nil()
    }
    fn person_id(&self) -> Uuid {
        Uuid::nil()
    }
    fn network_id(&self) -> Uuid {
        Uuid::nil()
    }
    fn case_id_or_nil(&self) -> Uuid {
        Uuid::nil()
    }
}

macro_rules! group_key {
    ($t:ty, $($m:ident => |$r:ident| $e:expr),*) => {
        impl GroupKey for $t {
            $(fn $m(&self) -> Uuid { let $r = self; $e })*
        }
    };
}

group_key!(entities::case_party::Model, case_id => |r| r.case_id, person_id => |r| r.person_id);
group_key!(entities::identifier::Model, person_id => |r| r.person_id);
group_key!(entities::indictment::Model, case_id => |r| r.case_id);
group_key!(entities::verdict::Model, case_id => |r| r.case_id);
group_key!(entities::network_member::Model, network_id => |r| r.network_id);
group_key!(entities::support_service::Model, person_id => |r| r.person_id);
group_key!(entities::case_event::Model, case_id => |r| r.case_id);
group_key!(entities::victim_flag::Model, case_id_or_nil => |r| r.case_id.unwrap_or_default());
group_key!(entities::referral::Model, case_id_or_nil => |r| r.case_id.unwrap_or_default());

/// Loader errors are shared between the waiting resolvers.
pub(crate) type LoadError = Arc<ApiError>;

macro_rules! by_id_loader {
    ($(#[$doc:meta])* $name:ident, $view:ty, $load:path) => {
        $(#[$doc])*
        pub(crate) struct $name {
            pub(crate) p: Arc<Principal>,
            pub(crate) db: DatabaseConnection,
        }

        impl Loader<Uuid> for $name {
            type Value = Arc<$view>;
            type Error = LoadError;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                let rows = $load(&self.db, &self.p, keys).await.map_err(Arc::new)?;
                Ok(rows.into_iter().map(|r| (r.row.id, Arc::new(r))).collect())
            }
        }
    };
}

macro_rules! group_loader {
    ($(#[$doc:meta])* $name:ident, $view:ty, $load:path, $key:ident) => {
        $(#[$doc])*
        pub(crate) struct $name {
            pub(crate) p: Arc<Principal>,
            pub(crate) db: DatabaseConnection,
        }

        impl Loader<Uuid> for $name {
            type Value = Arc<Vec<Arc<$view>>>;
            type Error = LoadError;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                let rows = $load(&self.db, &self.p, keys).await.map_err(Arc::new)?;
                let mut groups: HashMap<Uuid, Vec<Arc<$view>>> = HashMap::new();
                for row in rows {
                    groups.entry(GroupKey::$key(&row.row)).or_default().push(Arc::new(row));
                }
                Ok(keys
                    .iter()
                    .map(|k| (*k, Arc::new(groups.remove(k).unwrap_or_default())))
                    .collect())
            }
        }
    };
}

by_id_loader!(
    /// Cases by id, in the caller's scope.
    CaseById,
    CaseView,
    crate::store::case::by_ids
);
by_id_loader!(
    /// Persons by id, in the caller's scope.
    PersonById,
    PersonView,
    person::by_ids
);
group_loader!(
    /// The visible parties of each case.
    PartiesByCase,
    PartyView,
    person::parties_of_cases,
    case_id
);
group_loader!(
    /// The visible parties of each person.
    PartiesByPerson,
    PartyView,
    person::parties_of_persons,
    person_id
);
group_loader!(
    /// The identifiers of each visible person.
    IdentifiersByPerson,
    IdentifierView,
    person::identifiers_of_persons,
    person_id
);
group_loader!(
    /// The visible indictments of each case.
    IndictmentsByCase,
    IndictmentView,
    justice::indictments_of_cases,
    case_id
);
group_loader!(
    /// The visible verdicts of each case.
    VerdictsByCase,
    VerdictView,
    justice::verdicts_of_cases,
    case_id
);

/// The lifecycle moves of each row (loaded only for rows the caller already sees).
pub(crate) struct HistoryOf {
    pub(crate) db: DatabaseConnection,
}

impl Loader<Uuid> for HistoryOf {
    type Value = Arc<Vec<Arc<entities::status_history::Model>>>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::store::history::of(&self.db, keys)
            .await
            .map_err(Arc::new)?;
        let mut groups: HashMap<Uuid, Vec<Arc<entities::status_history::Model>>> = HashMap::new();
        for row in rows {
            groups.entry(row.entity_id).or_default().push(Arc::new(row));
        }
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::new(groups.remove(k).unwrap_or_default())))
            .collect())
    }
}

by_id_loader!(
    /// Networks by id, in the caller's scope.
    NetworkById,
    crate::store::network::NetworkView,
    crate::store::network::by_ids
);
group_loader!(
    /// The members of each visible network.
    MembersByNetwork,
    crate::store::network::MemberView,
    crate::store::network::members_of,
    network_id
);

/// Ring-case links, keyed by network (`by_case = false`) or by case (`by_case = true`).
pub(crate) struct NetworkCaseLinks {
    pub(crate) db: DatabaseConnection,
    pub(crate) by_case: bool,
}

impl Loader<Uuid> for NetworkCaseLinks {
    type Value = Arc<Vec<Uuid>>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = if self.by_case {
            crate::store::network::networks_of_cases(&self.db, keys).await
        } else {
            crate::store::network::cases_of(&self.db, keys).await
        }
        .map_err(Arc::new)?;
        let mut groups: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for row in rows {
            let (key, other) = if self.by_case {
                (row.case_id, row.network_id)
            } else {
                (row.network_id, row.case_id)
            };
            groups.entry(key).or_default().push(other);
        }
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::new(groups.remove(k).unwrap_or_default())))
            .collect())
    }
}
group_loader!(
    /// The visible support services of each person.
    SupportByPerson,
    crate::store::care::SupportView,
    crate::store::care::support_of,
    person_id
);
group_loader!(
    /// The visible events of each case.
    EventsByCase,
    crate::store::care::EventView,
    crate::store::care::events_of,
    case_id
);
group_loader!(
    /// The visible flags of each case.
    FlagsByCase,
    crate::store::workflow::FlagView,
    crate::store::workflow::flags_of_cases,
    case_id_or_nil
);
group_loader!(
    /// The visible referrals of each case.
    ReferralsByCase,
    crate::store::workflow::ReferralView,
    crate::store::workflow::referrals_of_cases,
    case_id_or_nil
);

/// The visible links of each case (a link belongs to both its cases).
pub(crate) struct LinksByCase {
    pub(crate) p: Arc<Principal>,
    pub(crate) db: DatabaseConnection,
}

impl Loader<Uuid> for LinksByCase {
    type Value = Arc<Vec<Arc<crate::store::investigate::LinkView>>>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::store::investigate::links_of_cases(&self.db, &self.p, keys)
            .await
            .map_err(Arc::new)?;
        let mut groups: HashMap<Uuid, Vec<Arc<crate::store::investigate::LinkView>>> =
            HashMap::new();
        for row in rows.into_iter().map(Arc::new) {
            groups
                .entry(row.row.from_case)
                .or_default()
                .push(row.clone());
            if row.row.to_case != row.row.from_case {
                groups.entry(row.row.to_case).or_default().push(row);
            }
        }
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::new(groups.remove(k).unwrap_or_default())))
            .collect())
    }
}
