//! `ctex seed --synthetic`: a large, deterministic dataset for benchmarks, written with
//! set-based inserts.

use sea_orm::DatabaseConnection;

/// What a synthetic load wrote.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases written.
    pub cases: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cases", self.cases)
    }
}

/// Generates `cases` cases and everything around them from `seed`.
pub async fn seed(_db: &DatabaseConnection, _cases: u64, _seed: u64) -> anyhow::Result<Report> {
    anyhow::bail!("the synthetic dataset is not available yet")
}
