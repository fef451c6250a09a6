//! Aggregates for `statistics` and the periodic report, computed in SQL (GROUP BY).
