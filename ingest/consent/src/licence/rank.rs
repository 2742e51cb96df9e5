//! Precedence tiers, the restrictiveness order, and the rule that picks a page's licence.
//!
//! **Precedence.** A finding's [`Tier`] says how much the page vouches for it:
//! 1. [`Tier::Metadata`]: machine-readable statements about the page as a whole, which a site's
//!    templates set on purpose: `Link: rel=license` headers, `<link rel=license>`, licence
//!    `<meta>` tags, JSON-LD `license` (anywhere in the page: JSON-LD is metadata wherever it
//!    sits), microdata and RDFa licence properties in the `<head>`, and inline RSL `<standard>`s;
//! 2. [`Tier::Body`]: `<a rel=license>` / `<area rel=license>` links and microdata or RDFa
//!    licence properties in the body, which may be about the page but also about one embedded
//!    image or quote;
//! 3. [`Tier::Text`]: a licensing statement in the visible text ("licensed under CC BY-SA 4.0"),
//!    found by pattern and the least certain of all;
//! 4. [`Tier::Media`]: the `license` of a JSON-LD `ImageObject`, `VideoObject`, `AudioObject`,
//!    `MediaObject` (and the nodes nested in them): it licenses that medium, not the text Assent
//!    keeps, so it is recorded as evidence and never decides.
//!
//! **The rule** ([`choose`]): the highest tier that has any finding decides, and within it the
//! most restrictive licence wins (ties: the first found). Lower tiers are kept as evidence only.
//! Taking the most restrictive across *all* tiers was considered and rejected: text patterns
//! and body links are the findings most often about something other than the page (a quoted
//! licence notice, an image credit), so letting them override the page's own metadata would
//! make the result depend on the least reliable evidence; within one tier the sources are
//! equally credible, so a conflict there is resolved the safe way. A conflict between tiers
//! stays visible: every finding is in the evidence with its tier and whether it was chosen.
//!
//! **Restrictiveness** ([`Restrictiveness`], least to most): public domain (CC0, the Public
//! Domain Mark, PDDL, Unlicense, 0BSD, a plain "in the public domain" statement) < attribution
//! (CC BY, permissive OSI/FSF licences such as MIT or Apache-2.0) < share-alike / copyleft
//! (CC BY-SA, GFDL, GPL and every licence SPDX marks copyleft) < non-commercial (CC BY-NC)
//! < non-commercial share-alike (CC BY-NC-SA) < no-derivatives (CC BY-ND) < non-commercial
//! no-derivatives (CC BY-NC-ND) < unknown. Each added condition only narrows what may be done,
//! and no-derivatives narrows it most for training (a model is arguably an adaptation), then
//! non-commercial; share-alike only adds a duty. Unknown covers every `LicenseRef-…` Assent
//! cannot classify (a site's own terms page, retired CC Sampling and Developing Nations
//! licences, an unspecified "Creative Commons licence") and SPDX licences neither OSI-approved,
//! FSF-free nor copyleft: what we cannot read, we must assume forbids the most.

use super::Finding;

/// How much a page vouches for a finding; lower tiers (in this order) take precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Metadata,
    Body,
    Text,
    Media,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Metadata => "metadata",
            Tier::Body => "body",
            Tier::Text => "text",
            Tier::Media => "media",
        }
    }
}

/// What a licence forbids, least to most (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Restrictiveness {
    PublicDomain,
    Attribution,
    ShareAlike,
    NonCommercial,
    NonCommercialShareAlike,
    NoDerivatives,
    NonCommercialNoDerivatives,
    Unknown,
}

impl Restrictiveness {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicDomain => "public-domain",
            Self::Attribution => "attribution",
            Self::ShareAlike => "share-alike",
            Self::NonCommercial => "non-commercial",
            Self::NonCommercialShareAlike => "non-commercial-share-alike",
            Self::NoDerivatives => "no-derivatives",
            Self::NonCommercialNoDerivatives => "non-commercial-no-derivatives",
            Self::Unknown => "unknown",
        }
    }
}

/// Ids (compared case-insensitively) that put a work in the public domain or as near as the
/// law allows.
const PUBLIC_DOMAIN: &[&str] = &[
    "CC0-1.0",
    "CC-PDDC",
    "CC-PDM-1.0",
    "LicenseRef-PDM-1.0",
    "LicenseRef-Public-Domain",
    "PDDL-1.0",
    "Unlicense",
    "0BSD",
];

/// The restrictiveness of an SPDX id (or `LicenseRef-…` id as this module writes them).
pub fn restrictiveness(spdx: &str) -> Restrictiveness {
    let id = spdx.trim();
    if PUBLIC_DOMAIN.iter().any(|p| p.eq_ignore_ascii_case(id)) {
        return Restrictiveness::PublicDomain;
    }
    let bare = strip_prefix_ci(id, "LicenseRef-").unwrap_or(id);
    if let Some(r) = creative_commons(bare) {
        return r;
    }
    if let Some(rest) = strip_prefix_ci(id, "LicenseRef-") {
        // Our own ids for unversioned GNU licences are copyleft; anything else is unknown.
        let copyleft = ["GFDL", "GPL", "LGPL", "AGPL"];
        return if copyleft.iter().any(|c| c.eq_ignore_ascii_case(rest)) {
            Restrictiveness::ShareAlike
        } else {
            Restrictiveness::Unknown
        };
    }
    match spdx::license_id(id) {
        Some(l) if l.is_copyleft() => Restrictiveness::ShareAlike,
        Some(l) if l.is_osi_approved() || l.is_fsf_free_libre() => Restrictiveness::Attribution,
        _ => Restrictiveness::Unknown,
    }
}

/// `CC-<elements>-<version>[-<port>]` (also without version): the conditions it names, or
/// None when it is not of that form (or names an element we do not know, e.g. Sampling).
fn creative_commons(id: &str) -> Option<Restrictiveness> {
    let rest = strip_prefix_ci(id, "CC-")?;
    let (mut nc, mut nd, mut sa, mut any) = (false, false, false, false);
    for token in rest.split('-') {
        if token.starts_with(|c: char| c.is_ascii_digit()) {
            break;
        }
        match token.to_ascii_uppercase().as_str() {
            "BY" => {}
            "NC" => nc = true,
            "ND" => nd = true,
            "SA" => sa = true,
            _ => return Some(Restrictiveness::Unknown),
        }
        any = true;
    }
    if !any {
        return None;
    }
    Some(match (nc, nd, sa) {
        (_, true, true) => Restrictiveness::Unknown,
        (true, true, _) => Restrictiveness::NonCommercialNoDerivatives,
        (false, true, _) => Restrictiveness::NoDerivatives,
        (true, false, true) => Restrictiveness::NonCommercialShareAlike,
        (true, false, false) => Restrictiveness::NonCommercial,
        (false, false, true) => Restrictiveness::ShareAlike,
        (false, false, false) => Restrictiveness::Attribution,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix))
    .then(|| &s[prefix.len()..])
}

/// The index of the page's licence among `findings` (see the module docs), or None when there
/// is no finding outside [`Tier::Media`].
pub fn choose(findings: &[Finding]) -> Option<usize> {
    let top = findings
        .iter()
        .map(|f| f.tier)
        .filter(|t| *t != Tier::Media)
        .min()?;
    let mut best: Option<(usize, Restrictiveness)> = None;
    for (i, f) in findings.iter().enumerate() {
        if f.tier != top {
            continue;
        }
        let r = restrictiveness(&f.licence.spdx);
        if best.is_none_or(|(_, b)| r > b) {
            best = Some((i, r));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_schemas::Licence;
    use Restrictiveness::*;

    #[test]
    fn restrictiveness_order() {
        let cases = [
            ("CC0-1.0", PublicDomain),
            ("LicenseRef-PDM-1.0", PublicDomain),
            ("LicenseRef-Public-Domain", PublicDomain),
            ("CC-PDDC", PublicDomain),
            ("Unlicense", PublicDomain),
            ("CC-BY-4.0", Attribution),
            ("cc-by-3.0-de", Attribution),
            ("LicenseRef-CC-BY-2.1-ES", Attribution),
            ("MIT", Attribution),
            ("Apache-2.0", Attribution),
            ("CC-BY-SA-4.0", ShareAlike),
            ("CC-SA-1.0", ShareAlike),
            ("LicenseRef-CC-BY-SA", ShareAlike),
            ("GFDL-1.3-or-later", ShareAlike),
            ("LicenseRef-GFDL", ShareAlike),
            ("GPL-3.0-only", ShareAlike),
            ("CC-BY-NC-4.0", NonCommercial),
            ("LicenseRef-CC-NC-1.0", NonCommercial),
            ("CC-BY-NC-SA-2.0-FR", NonCommercialShareAlike),
            ("CC-BY-ND-4.0", NoDerivatives),
            ("CC-BY-NC-ND-3.0-IGO", NonCommercialNoDerivatives),
            ("LicenseRef-Unknown", Unknown),
            ("LicenseRef-CC-Sampling-Plus-1.0", Unknown),
            ("LicenseRef-CC-Unspecified", Unknown),
            ("LicenseRef-example-terms", Unknown),
            ("", Unknown),
            ("not-an-id", Unknown),
        ];
        for (id, want) in cases {
            assert_eq!(restrictiveness(id), want, "{id}");
        }
        let mut order = [
            Unknown,
            NoDerivatives,
            PublicDomain,
            NonCommercialNoDerivatives,
            ShareAlike,
            NonCommercial,
            Attribution,
            NonCommercialShareAlike,
        ];
        order.sort();
        assert_eq!(
            order,
            [
                PublicDomain,
                Attribution,
                ShareAlike,
                NonCommercial,
                NonCommercialShareAlike,
                NoDerivatives,
                NonCommercialNoDerivatives,
                Unknown
            ]
        );
    }

    fn f(spdx: &str, tier: Tier) -> Finding {
        Finding {
            licence: Licence {
                spdx: spdx.into(),
                found_in: "t".into(),
                url: None,
                snippet: None,
            },
            tier,
        }
    }

    #[test]
    fn highest_tier_decides_then_most_restrictive() {
        // Metadata says CC BY; the body and the text say something stricter: metadata decides.
        let fs = [
            f("CC-BY-NC-ND-4.0", Tier::Text),
            f("CC-BY-ND-4.0", Tier::Body),
            f("CC-BY-4.0", Tier::Metadata),
        ];
        assert_eq!(choose(&fs), Some(2));
        // Within the metadata tier the most restrictive wins.
        let fs = [
            f("CC-BY-4.0", Tier::Metadata),
            f("CC-BY-NC-4.0", Tier::Metadata),
            f("CC0-1.0", Tier::Metadata),
            f("CC-BY-SA-4.0", Tier::Metadata),
        ];
        assert_eq!(choose(&fs), Some(1));
        // An unknown licence is the most restrictive of all.
        let fs = [
            f("CC-BY-NC-ND-4.0", Tier::Body),
            f("LicenseRef-Unknown", Tier::Body),
        ];
        assert_eq!(choose(&fs), Some(1));
        // Ties go to the first found.
        let fs = [f("CC-BY-3.0", Tier::Body), f("CC-BY-4.0", Tier::Body)];
        assert_eq!(choose(&fs), Some(0));
        // Text decides only when nothing else was found; media never decides.
        let fs = [f("CC0-1.0", Tier::Media), f("MIT", Tier::Text)];
        assert_eq!(choose(&fs), Some(1));
        assert_eq!(choose(&[f("CC-BY-4.0", Tier::Media)]), None);
        assert_eq!(choose(&[]), None);
    }
}
