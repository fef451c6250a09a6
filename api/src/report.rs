//! The periodic statistics report (`ctex report` and the `report` query): the table an analyst
//! sends to the steering committee, with Vietnamese headings and an English variant.
//!
//! Every line is a figure of `statistics` (a measure, maybe restricted to one sex or ethnicity
//! group) over the same protected tables, so the report is suppressed exactly as `statistics`
//! is and no line can be recovered from the others or from any other question. The lines a
//! caller may not count (see `graphql::statistics::check_measure`) are left out. The CLI reads
//! the database directly as the steering committee: national figures.

use std::io::Write as _;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::auth::Principal;
use crate::domain::Agency;
use crate::error::{ApiError, ApiResult};
use crate::store::statistics::{self as stats, Dimension, Filter, Measure, Period};

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

/// A heading in both languages.
#[derive(Clone, Copy, Debug)]
struct Text {
    vi: &'static str,
    en: &'static str,
}

impl Text {
    const fn of(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.vi,
            Lang::En => self.en,
        }
    }
}

/// One indicator of the report: a measure, and whether it is split by sex and ethnicity group.
struct Indicator {
    key: &'static str,
    measure: Measure,
    heading: Text,
    split: bool,
}

/// The report's indicators, in order (the steering committee's periodic form).
const INDICATORS: [Indicator; 10] = [
    Indicator {
        key: "tips_received",
        measure: Measure::TipsReceived,
        heading: Text {
            vi: "Tin báo, tố giác về mua bán người đã tiếp nhận",
            en: "Tips received",
        },
        split: false,
    },
    Indicator {
        key: "tips_resolved",
        measure: Measure::TipsResolved,
        heading: Text {
            vi: "Tin báo, tố giác đã giải quyết",
            en: "Tips resolved",
        },
        split: false,
    },
    Indicator {
        key: "hotline_calls",
        measure: Measure::HotlineCalls,
        heading: Text {
            vi: "Cuộc gọi đến Tổng đài điện thoại quốc gia 111",
            en: "Calls to the national hotline 111",
        },
        split: false,
    },
    Indicator {
        key: "victims_received",
        measure: Measure::VictimsReceived,
        heading: Text {
            vi: "Nạn nhân được tiếp nhận",
            en: "Victims received",
        },
        split: true,
    },
    Indicator {
        key: "victims_identified",
        measure: Measure::VictimsIdentified,
        heading: Text {
            vi: "Nạn nhân được xác minh, xác định",
            en: "Victims verified and identified",
        },
        split: true,
    },
    Indicator {
        key: "victims_supported",
        measure: Measure::VictimsSupported,
        heading: Text {
            vi: "Nạn nhân được hỗ trợ",
            en: "Victims supported",
        },
        split: true,
    },
    Indicator {
        key: "cases_opened",
        measure: Measure::CasesOpened,
        heading: Text {
            vi: "Vụ án mua bán người được phát hiện",
            en: "Trafficking cases opened",
        },
        split: false,
    },
    Indicator {
        key: "rings_dismantled",
        measure: Measure::RingsDismantled,
        heading: Text {
            vi: "Đường dây, ổ nhóm bị triệt phá",
            en: "Rings dismantled",
        },
        split: false,
    },
    Indicator {
        key: "prosecutions",
        measure: Measure::Prosecutions,
        heading: Text {
            vi: "Bị can bị truy tố",
            en: "Defendants prosecuted",
        },
        split: false,
    },
    Indicator {
        key: "convictions",
        measure: Measure::Convictions,
        heading: Text {
            vi: "Bị cáo bị kết án",
            en: "Defendants convicted",
        },
        split: false,
    },
];

const TOTAL: Text = Text {
    vi: "Tổng số",
    en: "Total",
};

/// The breakdowns of a split indicator: (key suffix, dimension, value, heading).
const BREAKDOWNS: [(&str, Dimension, &str, Text); 6] = [
    (
        "sex.male",
        Dimension::Sex,
        "MALE",
        Text {
            vi: "Nam",
            en: "Male",
        },
    ),
    (
        "sex.female",
        Dimension::Sex,
        "FEMALE",
        Text {
            vi: "Nữ",
            en: "Female",
        },
    ),
    (
        "sex.unknown",
        Dimension::Sex,
        "UNKNOWN",
        Text {
            vi: "Không rõ giới tính",
            en: "Sex not recorded",
        },
    ),
    (
        "ethnicity.kinh",
        Dimension::EthnicityGroup,
        "KINH",
        Text {
            vi: "Dân tộc Kinh",
            en: "Kinh",
        },
    ),
    (
        "ethnicity.minority",
        Dimension::EthnicityGroup,
        "MINORITY",
        Text {
            vi: "Dân tộc thiểu số",
            en: "Ethnic minorities",
        },
    ),
    (
        "ethnicity.unknown",
        Dimension::EthnicityGroup,
        "UNKNOWN",
        Text {
            vi: "Không rõ dân tộc",
            en: "Ethnicity not recorded",
        },
    ),
];

const COLUMNS_VI: [&str; 5] = ["Mã", "Chỉ tiêu", "Phân tổ", "Số lượng", "Ghi chú"];
const COLUMNS_EN: [&str; 5] = ["Key", "Indicator", "Breakdown", "Count", "Note"];

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReportRow {
    /// Stable key, e.g. `victims_supported.sex.male`.
    pub(crate) key: String,
    /// Indicator heading.
    pub(crate) indicator: &'static str,
    /// Breakdown heading (`Tổng số` / `Total` for the indicator's total).
    pub(crate) breakdown: &'static str,
    /// The count; `None` when suppressed.
    pub(crate) value: Option<u64>,
    /// Why the count is withheld, when it is.
    pub(crate) note: Option<String>,
}

/// The report of one period.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    /// Title, with the period.
    pub(crate) title: String,
    /// The period.
    pub(crate) period: Period,
    /// Heading language.
    pub(crate) lang: Lang,
    /// The suppression threshold.
    pub(crate) threshold: u64,
    /// The lines, in order.
    pub(crate) rows: Vec<ReportRow>,
}

impl Report {
    /// Column headings.
    pub(crate) fn columns(&self) -> [&'static str; 5] {
        match self.lang {
            Lang::Vi => COLUMNS_VI,
            Lang::En => COLUMNS_EN,
        }
    }

    /// The report as CSV (RFC 4180, UTF-8): the column headings, then one row per line.
    pub(crate) fn csv(&self) -> String {
        fn field(s: &str) -> String {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        }
        let mut out = String::new();
        let line =
            |cells: &[&str]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",") + "\r\n";
        out.push_str(&line(&self.columns()));
        for row in &self.rows {
            let value = row.value.map(|v| v.to_string()).unwrap_or_default();
            out.push_str(&line(&[
                &row.key,
                row.indicator,
                row.breakdown,
                &value,
                row.note.as_deref().unwrap_or(""),
            ]));
        }
        out
    }

    /// The report as one JSON document.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title,
            "from": self.period.from().format("%Y-%m-%d").to_string(),
            "to": self.period.to().format("%Y-%m-%d").to_string(),
            "lang": match self.lang { Lang::Vi => "vi", Lang::En => "en" },
            "threshold": self.threshold,
            "columns": self.columns(),
            "rows": self.rows.iter().map(|r| serde_json::json!({
                "key": r.key,
                "indicator": r.indicator,
                "breakdown": r.breakdown,
                "value": r.value,
                "suppressed": r.value.is_none(),
                "note": r.note,
            })).collect::<Vec<_>>(),
        })
    }
}

fn title(period: &Period, lang: Lang) -> String {
    let (from, to) = (period.from(), period.to());
    match lang {
        Lang::Vi => format!(
            "Báo cáo số liệu phòng, chống mua bán người từ ngày {} đến ngày {}",
            from.format("%d/%m/%Y"),
            to.format("%d/%m/%Y")
        ),
        Lang::En => format!(
            "Counter-trafficking statistics, {} to {}",
            from.format("%-d %B %Y"),
            to.format("%-d %B %Y")
        ),
    }
}

fn suppressed_note(lang: Lang, k: u64) -> String {
    match lang {
        Lang::Vi => {
            format!("Không công bố: dưới {k} người/trường hợp, hoặc để không suy ra được một ô nhỏ")
        }
        Lang::En => format!("Suppressed: fewer than {k}, or would reveal a smaller cell"),
    }
}

/// Builds the report of `period` for `p`, suppressed with threshold `k`.
pub(crate) async fn build(
    db: &impl ConnectionTrait,
    p: &Principal,
    period: &Period,
    lang: Lang,
    k: u64,
) -> ApiResult<Report> {
    let note = suppressed_note(lang, k);
    let mut rows = Vec::new();
    for ind in &INDICATORS {
        if crate::graphql::statistics::check_measure(p, ind.measure, &[]).is_err() {
            continue;
        }
        let tables = stats::load(db, p, ind.measure, period, k).await?;
        let mut lines: Vec<(String, Text, Filter)> =
            vec![(format!("{}.total", ind.key), TOTAL, Filter::new())];
        if ind.split {
            for (suffix, dim, value, heading) in BREAKDOWNS {
                if crate::graphql::statistics::check_measure(p, ind.measure, &[dim]).is_ok() {
                    let filter: Filter = [(dim, [value.to_string()].into_iter().collect())]
                        .into_iter()
                        .collect();
                    lines.push((format!("{}.{suffix}", ind.key), heading, filter));
                }
            }
        }
        for (key, heading, filter) in lines {
            let value = tables
                .answer(period, &[], &filter)?
                .into_iter()
                .next()
                .and_then(|f| f.value);
            rows.push(ReportRow {
                key,
                indicator: ind.heading.of(lang),
                breakdown: heading.of(lang),
                value,
                note: value.is_none().then(|| note.clone()),
            });
        }
    }
    Ok(Report {
        title: title(period, lang),
        period: *period,
        lang,
        threshold: k,
        rows,
    })
}

/// The caller the CLI reads as: the steering committee (national figures), read-only.
fn cli_principal() -> Principal {
    Principal {
        agency: Agency::Steering,
        subject: "ctex-report".into(),
        unit: None,
        jurisdiction: None,
        scopes: vec![crate::auth::READ_SCOPE.to_string()],
        purpose: None,
        token_id: "ctex-report".into(),
        issuer: "ctex-cli".into(),
        expires_at: 0,
    }
}

/// An API error as a CLI error: the message for the operator (internal errors keep their
/// cause, which only the operator sees).
fn cli_error(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::BadInput { field, message } => anyhow::anyhow!("--{field} {message}"),
        ApiError::Internal(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}

/// Writes the report `ctex report` asks for.
pub(crate) async fn run(
    db: &DatabaseConnection,
    args: &crate::cli::ReportArgs,
) -> anyhow::Result<()> {
    let day = |s: &str, flag: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--{flag} must be a date YYYY-MM-DD, got {s:?}"))
    };
    let period = Period::of_days(
        day(&args.from, "from")?,
        day(&args.to, "to")?,
        ("from", "to"),
    )
    .map_err(cli_error)?;
    let k = u64::from(args.min_cell.max(1));
    let report = build(db, &cli_principal(), &period, args.lang, k)
        .await
        .map_err(cli_error)?;
    let text = match args.format {
        Format::Csv => report.csv(),
        Format::Json => format!("{:#}\n", report.json()),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lang: Lang) -> Report {
        let period = Period::of_days(
            chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default(),
            chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap_or_default(),
            ("from", "to"),
        );
        let Ok(period) = period else {
            panic!("a valid period");
        };
        Report {
            title: title(&period, lang),
            period,
            lang,
            threshold: 5,
            rows: vec![
                ReportRow {
                    key: "hotline_calls.total".into(),
                    indicator: INDICATORS[2].heading.of(lang),
                    breakdown: TOTAL.of(lang),
                    value: Some(780),
                    note: None,
                },
                ReportRow {
                    key: "victims_supported.ethnicity.minority".into(),
                    indicator: INDICATORS[5].heading.of(lang),
                    breakdown: BREAKDOWNS[4].3.of(lang),
                    value: None,
                    note: Some(suppressed_note(lang, 5)),
                },
            ],
        }
    }

    #[test]
    fn vietnamese_headings_keep_their_diacritics() {
        let csv = report(Lang::Vi).csv();
        assert!(
            csv.starts_with("Mã,Chỉ tiêu,Phân tổ,Số lượng,Ghi chú\r\n"),
            "{csv}"
        );
        assert!(csv.contains(
            "hotline_calls.total,Cuộc gọi đến Tổng đài điện thoại quốc gia 111,Tổng số,780,\r\n"
        ));
        assert!(csv.contains(
            "victims_supported.ethnicity.minority,Nạn nhân được hỗ trợ,Dân tộc thiểu số,,"
        ));
        assert_eq!(
            title(&report(Lang::Vi).period, Lang::Vi),
            "Báo cáo số liệu phòng, chống mua bán người từ ngày 01/07/2026 đến ngày 30/09/2026"
        );
    }

    #[test]
    fn the_english_variant_and_json_say_what_is_suppressed() {
        let r = report(Lang::En);
        assert_eq!(
            r.title,
            "Counter-trafficking statistics, 1 July 2026 to 30 September 2026"
        );
        let json = r.json();
        assert_eq!(json["columns"][3], "Count");
        assert_eq!(json["rows"][0]["value"], 780);
        assert_eq!(json["rows"][1]["value"], serde_json::Value::Null);
        assert_eq!(json["rows"][1]["suppressed"], true);
        assert_eq!(json["rows"][1]["breakdown"], "Ethnic minorities");
    }

    #[test]
    fn csv_quotes_fields_with_commas() {
        let csv = report(Lang::Vi).csv();
        // The Vietnamese suppression note contains a comma.
        assert!(
            csv.contains("\"Không công bố: dưới 5 người/trường hợp, hoặc"),
            "{csv}"
        );
    }
}
