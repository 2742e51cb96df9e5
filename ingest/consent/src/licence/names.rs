//! Licence URLs and names other than Creative Commons' own forms, to SPDX ids, with the
//! `spdx` crate's list for ids and its imprecise names ("Apache 2.0", "GPLv3").
//!
//! Recognised URLs besides Creative Commons ([`super::cc`]): `opensource.org/licenses/ID`,
//! `spdx.org/licenses/ID(.html|.json)`, `choosealicense.com/licenses/ID/`,
//! `www.apache.org/licenses/LICENSE-2.0(.html|.txt)`, `www.gnu.org/licenses/{gpl,lgpl,agpl,fdl}
//! [-X.Y](.html|.txt|.en.html)` and `/copyleft/fdl.html` (an unversioned GNU URL is the current
//! version; a URL cannot say "or later", so `-only`), `opendatacommons.org/licenses/{odbl,by,
//! pddl}/`, `unlicense.org`, and the UK Open Government Licence.

use super::cc::{cc_name, cc_spdx};

/// The SPDX id for a licence id written in any case (`apache-2.0` → `Apache-2.0`); deprecated
/// GNU ids without `-only` get it (`GPL-3.0` → `GPL-3.0-only`), and `CC-PDM-1.0` is written
/// `LicenseRef-PDM-1.0` (see [`super::cc`]).
pub fn spdx_id(written: &str) -> Option<String> {
    let w = written.trim().trim_end_matches('+');
    if w.is_empty() || w.len() > 64 {
        return None;
    }
    if w.eq_ignore_ascii_case("CC-PDM-1.0") {
        return Some("LicenseRef-PDM-1.0".into());
    }
    let id = spdx::license_id(w).or_else(|| {
        spdx::identifiers::LICENSES
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(w))
            .and_then(|l| spdx::license_id(l.name))
    })?;
    if id.is_deprecated() && id.is_gnu() {
        let or_later = written.trim().ends_with('+');
        if let Some(g) = spdx::gnu_license_id(id.name, or_later) {
            return Some(g.name.to_string());
        }
    }
    Some(id.name.to_string())
}

/// The SPDX id of a licence URL (Creative Commons or one of the module docs' list).
pub fn url_spdx(url: &str) -> Option<String> {
    if let Some(id) = cc_spdx(url) {
        return Some(id);
    }
    let t = url.trim();
    let t = if t.starts_with("//") {
        format!("https:{t}")
    } else {
        t.to_string()
    };
    let u = url::Url::parse(&t).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let parts: Vec<&str> = u
        .path_segments()?
        .filter(|s| !s.is_empty())
        .take(8)
        .collect();
    let last = parts.last().copied().unwrap_or("");
    let stem = strip_ext(last);
    match (host, parts.first().copied()) {
        ("opensource.org", Some("licenses" | "license")) if parts.len() >= 2 => {
            spdx_id(strip_ext(parts[1])).or_else(|| whole_imprecise(strip_ext(parts[1])))
        }
        ("spdx.org", Some("licenses")) if parts.len() >= 2 => spdx_id(strip_ext(parts[1])),
        ("choosealicense.com", Some("licenses")) if parts.len() >= 2 => spdx_id(parts[1]),
        ("apache.org", Some("licenses")) => match stem.to_ascii_uppercase().as_str() {
            "LICENSE-2.0" => Some("Apache-2.0".into()),
            "LICENSE-1.1" => Some("Apache-1.1".into()),
            "LICENSE-1.0" => Some("Apache-1.0".into()),
            _ => None,
        },
        ("gnu.org", Some("licenses" | "copyleft")) => gnu_url(stem),
        ("opendatacommons.org", Some("licenses")) if parts.len() >= 2 => {
            match parts[1].to_ascii_lowercase().as_str() {
                "odbl" => Some("ODbL-1.0".into()),
                "by" => Some("ODC-By-1.0".into()),
                "pddl" => Some("PDDL-1.0".into()),
                _ => None,
            }
        }
        ("unlicense.org", _) => Some("Unlicense".into()),
        ("nationalarchives.gov.uk", Some("doc")) => {
            let open_gov = parts
                .get(1)
                .is_some_and(|p| p.eq_ignore_ascii_case("open-government-licence"));
            let version = parts
                .iter()
                .position(|p| p.eq_ignore_ascii_case("version"))
                .and_then(|i| parts.get(i + 1));
            match (open_gov, version) {
                (true, Some(v)) => spdx_id(&format!("OGL-UK-{v}.0")),
                _ => None,
            }
        }
        _ => None,
    }
}

fn strip_ext(s: &str) -> &str {
    for ext in [".en.html", ".html", ".htm", ".txt", ".php", ".json", ".md"] {
        if s.len() > ext.len() && s[s.len() - ext.len()..].eq_ignore_ascii_case(ext) {
            return &s[..s.len() - ext.len()];
        }
    }
    s
}

/// `gpl-3.0`, `lgpl-2.1`, `agpl-3.0`, `fdl-1.3`, and the unversioned `gpl`, `fdl`, …
fn gnu_url(stem: &str) -> Option<String> {
    let stem = stem.to_ascii_lowercase();
    let (base, version) = match stem.split_once('-') {
        Some((b, v)) => (b.to_string(), v.to_string()),
        None => (stem.clone(), String::new()),
    };
    let (name, current) = match base.as_str() {
        "gpl" => ("GPL", "3.0"),
        "lgpl" => ("LGPL", "3.0"),
        "agpl" => ("AGPL", "3.0"),
        "fdl" => ("GFDL", "1.3"),
        _ => return None,
    };
    let version = if version.is_empty() {
        current.to_string()
    } else {
        version
    };
    spdx::license_id(&format!("{name}-{version}-only")).map(|l| l.name.to_string())
}

/// An imprecise name that is the whole of `s` ("Apache 2.0", "GPLv3", "MIT"). Names that
/// leave the version (or variant) to a guess are not taken: "Apache", "GPL", "BSD", "MPL".
fn whole_imprecise(s: &str) -> Option<String> {
    let s = s.trim();
    let (id, len) = spdx::imprecise_license_id(s)?;
    let definite = s.contains(|c: char| c.is_ascii_digit())
        || ["mit", "zlib", "simplified bsd license"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(s));
    (len == s.len() && definite).then(|| id.name.to_string())
}

/// The SPDX id of a licence *named* in metadata (a `<meta>` content, a JSON-LD `name`, a
/// microdata text, an RSL `<standard>` that is not a URL): a Creative Commons name, an SPDX
/// id in any case, or an imprecise name that is the whole value (after dropping a trailing
/// "License"/"Licence"); "Public Domain" alone → `LicenseRef-Public-Domain`. Never a name
/// merely contained in a longer text.
pub fn name_spdx(name: &str) -> Option<String> {
    let n = name.trim().trim_end_matches(['.', ';', ',']);
    if n.is_empty() || n.len() > 200 {
        return None;
    }
    if let Some(id) = cc_name(n) {
        return Some(id);
    }
    if let Some(id) = spdx_id(n) {
        return Some(id);
    }
    if let Some(id) = super::text::named_licence(n) {
        return Some(id);
    }
    let lower = n.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "public domain" | "publicdomain" | "public-domain"
    ) {
        return Some("LicenseRef-Public-Domain".into());
    }
    let short = ["the ", ""]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    let short = short
        .strip_suffix(" license")
        .or_else(|| short.strip_suffix(" licence"))
        .unwrap_or(short)
        .trim();
    if let Some(id) = super::text::named_licence(short) {
        return Some(id);
    }
    whole_imprecise(short).map(|id| {
        // An imprecise GNU name stands for the deprecated bare id: keep "-only".
        spdx_id(&id).unwrap_or(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_urls() {
        let cases = [
            ("https://opensource.org/licenses/MIT", Some("MIT")),
            ("https://opensource.org/license/apache-2-0/", None),
            (
                "https://opensource.org/licenses/Apache-2.0",
                Some("Apache-2.0"),
            ),
            (
                "https://opensource.org/licenses/BSD-3-Clause",
                Some("BSD-3-Clause"),
            ),
            (
                "https://spdx.org/licenses/CC-BY-SA-4.0.html",
                Some("CC-BY-SA-4.0"),
            ),
            ("https://spdx.org/licenses/MPL-2.0.json", Some("MPL-2.0")),
            ("https://choosealicense.com/licenses/mit/", Some("MIT")),
            (
                "https://choosealicense.com/licenses/apache-2.0/",
                Some("Apache-2.0"),
            ),
            (
                "http://www.apache.org/licenses/LICENSE-2.0",
                Some("Apache-2.0"),
            ),
            (
                "https://www.apache.org/licenses/LICENSE-2.0.html",
                Some("Apache-2.0"),
            ),
            (
                "https://www.gnu.org/licenses/gpl-3.0.html",
                Some("GPL-3.0-only"),
            ),
            (
                "https://www.gnu.org/licenses/lgpl-2.1.en.html",
                Some("LGPL-2.1-only"),
            ),
            (
                "https://www.gnu.org/licenses/fdl-1.3.html",
                Some("GFDL-1.3-only"),
            ),
            (
                "https://www.gnu.org/copyleft/fdl.html",
                Some("GFDL-1.3-only"),
            ),
            (
                "https://www.gnu.org/licenses/gpl.html",
                Some("GPL-3.0-only"),
            ),
            (
                "https://opendatacommons.org/licenses/odbl/",
                Some("ODbL-1.0"),
            ),
            ("https://unlicense.org/", Some("Unlicense")),
            (
                "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
                Some("OGL-UK-3.0"),
            ),
            (
                "https://creativecommons.org/licenses/by/4.0/",
                Some("CC-BY-4.0"),
            ),
            ("https://example.com/licenses/MIT", None),
            ("https://www.gnu.org/philosophy/free-sw.html", None),
            ("mailto:x@example.com", None),
        ];
        for (url, want) in cases {
            assert_eq!(url_spdx(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn licence_names() {
        let cases = [
            ("MIT", Some("MIT")),
            ("mit", Some("MIT")),
            ("MIT License", Some("MIT")),
            ("The MIT License", Some("MIT")),
            ("Apache-2.0", Some("Apache-2.0")),
            ("apache 2.0", Some("Apache-2.0")),
            ("Apache License, Version 2.0", Some("Apache-2.0")),
            ("GPL-3.0", Some("GPL-3.0-only")),
            ("GPL-3.0+", Some("GPL-3.0-or-later")),
            ("GNU Free Documentation License", Some("LicenseRef-GFDL")),
            ("GNU Free Documentation License 1.3", Some("GFDL-1.3-only")),
            ("CC BY-SA 4.0", Some("CC-BY-SA-4.0")),
            ("CC-PDM-1.0", Some("LicenseRef-PDM-1.0")),
            (
                "Creative Commons Attribution 4.0 International",
                Some("CC-BY-4.0"),
            ),
            ("Public Domain", Some("LicenseRef-Public-Domain")),
            ("All rights reserved", None),
            ("© 2024 Example Ltd.", None),
            ("Mitigation policy", None),
            ("Apache helicopter", None),
            ("Apache", None),
            ("BSD", None),
            ("GPL", Some("LicenseRef-GPL")),
            ("gplv3", Some("GPL-3.0-only")),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(name_spdx(name).as_deref(), want, "{name}");
        }
    }
}
