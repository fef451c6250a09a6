//! DataLoaders: nested lists and references load in one scoped query per batch, never one per
//! parent row (no N+1).
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
use crate::store::person::{self, IdentifierView, PartyView, PersonView};

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
                    groups.entry(row.row.$key).or_default().push(Arc::new(row));
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
