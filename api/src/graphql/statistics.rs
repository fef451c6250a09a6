//! `statistics`, `campaigns` and `report`: figures for the steering committee's periodic
//! reports, with small-cell and complementary suppression (DESIGN §8).

use super::model::TypeDef;

/// The statistics types.
pub(crate) fn types() -> Vec<TypeDef> {
    Vec::new()
}
