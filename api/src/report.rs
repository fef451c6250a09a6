//! The periodic statistics report (`ctex report` and the `report` query): the table an analyst
//! sends to the steering committee, with Vietnamese headings and an English variant.

use sea_orm::DatabaseConnection;

/// Output format of `ctex report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values, one row per line of the report.
    Csv,
    /// One JSON document.
    Json,
}

/// Language of the report's headings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
}

/// Writes the report `ctex report` asks for.
pub(crate) async fn run(
    _db: &DatabaseConnection,
    _args: &crate::cli::ReportArgs,
) -> anyhow::Result<()> {
    anyhow::bail!("the report is not available yet")
}
