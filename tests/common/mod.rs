//! Feature files as a producer writes them, for the integration tests.
//!
//! The generator mimics the file behind the 2025-11-18 incident: a list of
//! rows from a metadata query, plus producer metadata the loader must skip
//! (unknown fields holding escaped strings and nested objects and arrays).
//! Each row carries the database it came from; the incident's duplicate rows
//! were the same columns seen a second time through another database (`r0`).
#![allow(dead_code)] // each test binary uses a different part of this module

/// Realistic feature names; [`names`] extends them with a `.vK` suffix.
pub const BASE_NAMES: [&str; 30] = [
    "ua_entropy",
    "ua_length",
    "ua_token_count",
    "hdr_count",
    "hdr_count_accept",
    "hdr_count_cookie",
    "hdr_order_hash",
    "hdr_accept_language",
    "hdr_sec_ch_ua",
    "tls_ja3",
    "tls_ja4",
    "tls_cipher_count",
    "tls_ext_count",
    "tls_alpn_h2",
    "http2_settings_hash",
    "http2_window_update",
    "path_depth",
    "path_entropy",
    "query_param_count",
    "query_length",
    "cookie_count",
    "cookie_entropy",
    "req_rate_1m",
    "req_rate_10m",
    "ip_asn_score",
    "ip_reputation",
    "bot_score_prev",
    "js_detect_ok",
    "mouse_events",
    "timing_jitter_ms",
];

/// `n` distinct, valid feature names: the base names, then `name.v1`,
/// `name.v2`, ... (all at most 32 bytes).
pub fn names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let base = BASE_NAMES[i % BASE_NAMES.len()];
            match i / BASE_NAMES.len() {
                0 => base.to_string(),
                k => format!("{base}.v{k}"),
            }
        })
        .collect()
}

/// One row of the metadata query: a feature name and the database it came from.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub db: &'static str,
}

/// Rows for `names`, all from the `default` database (a healthy file).
pub fn rows(names: &[String]) -> Vec<Row> {
    names.iter().map(|name| Row { name: name.clone(), db: "default" }).collect()
}

/// The incident's rows: every row of `names` from `default`, then every row
/// again from `r0` (rows 0..n, then 0..n once more).
pub fn doubled_rows(names: &[String]) -> Vec<Row> {
    let mut rows = rows(names);
    rows.extend(names.iter().map(|name| Row { name: name.clone(), db: "r0" }));
    rows
}

/// The default the generator gives row `i`: finite, varied, exact in JSON.
pub fn default_for(i: usize) -> f32 {
    (i % 7) as f32 * 0.25 - 0.5
}

/// A feature file of `rows`, one row per line, with producer metadata.
pub fn feature_file_from_rows(version: u64, rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(&format!("{{\"version\":{version},\n"));
    out.push_str(concat!(
        r#""producer":{"service":"bot-features","query":"SELECT name, type FROM system.columns "#,
        r#"WHERE table = \"http_requests_features\" ORDER BY name","#,
        r#""note":"tab\there, quote \", backslash \\, \u00e9, brackets ]} [{","#,
        r#""shards":[{"host":"ch-01","rows":60,"ok":true},{"host":"ch-02","rows":null,"lag_ms":-1.5e2}]},"#,
        "\n\"features\":[\n"
    ));
    for (i, row) in rows.iter().enumerate() {
        let sep = if i + 1 == rows.len() { "" } else { "," };
        out.push_str(&format!(
            "{{\"name\":\"{}\",\"default\":{},\"type\":\"Float64\",\"src\":{{\"db\":\"{}\"}}}}{sep}\n",
            row.name,
            default_for(i),
            row.db
        ));
    }
    out.push_str("]}\n");
    out
}

/// A healthy feature file: `names` in order, version `version`.
pub fn feature_file(version: u64, names: &[String]) -> String {
    feature_file_from_rows(version, &rows(names))
}

/// The incident's file: `names` twice over (rows 0..n, then 0..n again).
pub fn doubled_feature_file(version: u64, names: &[String]) -> String {
    feature_file_from_rows(version, &doubled_rows(names))
}
