//! schema.org `license` in JSON-LD (`<script type="application/ld+json">`): in objects,
//! arrays and `@graph`s, at any depth (nested `CreativeWork`s); a value may be a URL string,
//! a name, an object with `url`, `@id` or `name`, or an array of these. The key may be written
//! `license`, `schema:license` or as the full schema.org IRI.
//!
//! A licence inside an `ImageObject`, `VideoObject`, `AudioObject`, `MediaObject`, `3DModel`
//! or `Photograph` (or anything nested in one) is about that medium: it is returned with
//! `media = true` and never decides the page's licence ([`super::Tier::Media`]).

use serde_json::Value;

/// Most JSON nodes visited in one script, and licence values taken from it.
const MAX_NODES: usize = 20_000;
const MAX_VALUES: usize = 32;

const LICENCE_KEYS: &[&str] = &[
    "license",
    "schema:license",
    "http://schema.org/license",
    "https://schema.org/license",
];
const MEDIA_TYPES: &[&str] = &[
    "imageobject",
    "videoobject",
    "audioobject",
    "mediaobject",
    "3dmodel",
    "photograph",
];

/// A licence value found: the URL or name as written, and whether it belongs to a medium.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct JsonLdLicence {
    pub value: String,
    pub is_url: bool,
    pub media: bool,
}

/// The licence values of one JSON-LD script body; nothing when it is not JSON.
pub(super) fn licences(script: &str) -> Vec<JsonLdLicence> {
    let t = script.trim();
    let t = t.strip_prefix("<!--").unwrap_or(t);
    let t = t.strip_suffix("-->").unwrap_or(t).trim();
    let t = t
        .strip_prefix("//<![CDATA[")
        .or_else(|| t.strip_prefix("<![CDATA["))
        .unwrap_or(t);
    let t = t
        .strip_suffix("//]]>")
        .or_else(|| t.strip_suffix("]]>"))
        .unwrap_or(t);
    // serde_json refuses nesting deeper than 128, so hostile depth is an error, not a crash.
    let Ok(v) = serde_json::from_str::<Value>(t.trim()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut budget = MAX_NODES;
    walk(&v, false, &mut budget, &mut out);
    out
}

fn is_media(obj: &serde_json::Map<String, Value>) -> bool {
    let types: Vec<&str> = match obj.get("@type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    types.iter().any(|t| {
        let t = t
            .rsplit(['/', ':'])
            .next()
            .unwrap_or(t)
            .to_ascii_lowercase();
        MEDIA_TYPES.contains(&t.as_str())
    })
}

fn walk(v: &Value, media: bool, budget: &mut usize, out: &mut Vec<JsonLdLicence>) {
    if *budget == 0 || out.len() >= MAX_VALUES {
        return;
    }
    *budget -= 1;
    match v {
        Value::Array(items) => {
            for item in items {
                walk(item, media, budget, out);
            }
        }
        Value::Object(obj) => {
            let media = media || is_media(obj);
            for (k, value) in obj {
                if LICENCE_KEYS.iter().any(|key| k.eq_ignore_ascii_case(key)) {
                    values(value, media, 0, out);
                } else {
                    walk(value, media, budget, out);
                }
            }
        }
        _ => {}
    }
}

/// A `license` value: string, object (`url`, `@id`, `name`), or array of these.
fn values(v: &Value, media: bool, depth: usize, out: &mut Vec<JsonLdLicence>) {
    if out.len() >= MAX_VALUES || depth > 3 {
        return;
    }
    match v {
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() {
                let is_url = s.starts_with("http://")
                    || s.starts_with("https://")
                    || s.starts_with("//")
                    || s.starts_with('/')
                    || s.starts_with("./")
                    || s.starts_with("../");
                out.push(JsonLdLicence {
                    value: crate::tags::truncate(s, 2048).to_string(),
                    is_url,
                    media,
                });
            }
        }
        Value::Array(items) => {
            for item in items.iter().take(16) {
                values(item, media, depth + 1, out);
            }
        }
        Value::Object(obj) => {
            let media = media || is_media(obj);
            let pick = ["url", "@id", "name"]
                .iter()
                .find_map(|k| obj.get(*k).filter(|v| v.is_string() || v.is_array()));
            if let Some(p) = pick {
                values(p, media, depth + 1, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(s: &str) -> Vec<(String, bool)> {
        licences(s)
            .into_iter()
            .map(|l| (l.value, l.media))
            .collect()
    }

    #[test]
    fn every_shape() {
        let v = |s: &str, m: bool| (s.to_string(), m);
        assert_eq!(
            vals(
                r#"{"@context":"https://schema.org","@type":"Article","license":"https://creativecommons.org/licenses/by/4.0/"}"#
            ),
            [v("https://creativecommons.org/licenses/by/4.0/", false)]
        );
        assert_eq!(
            vals(
                r#"[{"@type":"WebPage","license":{"@type":"CreativeWork","name":"CC BY-SA 4.0","url":"https://creativecommons.org/licenses/by-sa/4.0/"}}]"#
            ),
            [v("https://creativecommons.org/licenses/by-sa/4.0/", false)]
        );
        assert_eq!(
            vals(
                r#"{"@graph":[{"@type":"WebSite"},{"@type":"Article","hasPart":{"@type":"CreativeWork","schema:license":{"@id":"https://creativecommons.org/publicdomain/zero/1.0/"}}}]}"#
            ),
            [v(
                "https://creativecommons.org/publicdomain/zero/1.0/",
                false
            )]
        );
        assert_eq!(
            vals(
                r#"{"@type":"Article","license":["MIT",{"name":"Apache-2.0"}],"image":{"@type":"ImageObject","license":"https://creativecommons.org/licenses/by-nc/4.0/"}}"#
            ),
            // Keys are visited in serde_json's (sorted) order.
            [
                v("https://creativecommons.org/licenses/by-nc/4.0/", true),
                v("MIT", false),
                v("Apache-2.0", false),
            ]
        );
        assert_eq!(
            vals("<!--\n{\"http://schema.org/license\": \"/terms\"}\n-->"),
            [v("/terms", false)]
        );
        assert!(vals("{not json").is_empty());
        assert!(vals(&"[".repeat(10_000)).is_empty());
        assert!(vals(r#"{"license": null, "licence": "x"}"#).is_empty());
    }
}
