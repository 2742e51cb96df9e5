//! The combination of every signal into one [`Consent`] (DESIGN.md, "Consent, in order"):
//!
//! 1. May we fetch? Any refusing signal in `fetch` (robots.txt for our own token, an
//!    unreachable robots.txt) → `Refused` with the fetch reasons only; nothing else matters.
//! 2. May we train? Any refusing signal in `training` → `Refused` with ALL refusing reasons
//!    (deduplicated, in the order first seen), even where another signal says `Allow`: an
//!    explicit no always wins over an explicit yes (a reserving tdmrep.json with a
//!    `tdm-reservation: 0` header is refused).
//! 3. Licence: never overrides a refusal. Policy `open-licence-only` keeps a page only when one
//!    of its licences is allowed, else `Refused(licence.not-allowed)`; policy `opt-out` keeps it.
//!
//! Evidence is the list of every signal (fetch, then training), then one `licence` signal per
//! licence (raw = its URL, with its `spdx`). Signals only hold bounded raw values (≤ `MAX_RAW`
//! bytes), never page text.

use super::licence::is_allowed;
use super::{Detail, Policy, Signal, Verdict};
use assent_schemas::{Consent, Decision, LedgerRow, Licence, ReasonCode, Source, Stage};
use serde_json::{json, Value};

/// Everything [`decide`] combines.
#[derive(Clone, Copy, Debug)]
pub struct ConsentInput<'a> {
    /// robots.txt signals for our own token (may we fetch?).
    pub fetch: &'a [Signal],
    /// Every other signal (may we train?).
    pub training: &'a [Signal],
    /// Licences detected on the page.
    pub licences: &'a [Licence],
    pub policy: Policy,
    /// Allowed licence patterns (see [`super::licence::is_allowed`]).
    pub allowed_licences: &'a [String],
}

/// The refusing reasons among `signals`, deduplicated, in the order first seen.
pub fn refusing_reasons<'a>(signals: impl IntoIterator<Item = &'a Signal>) -> Vec<ReasonCode> {
    let mut out = Vec::new();
    for s in signals {
        if let Verdict::Refuse(code) = s.verdict {
            if !out.contains(&code) {
                out.push(code);
            }
        }
    }
    out
}

fn evidence(signals: &[&Signal], licences: &[Licence]) -> Vec<Signal> {
    let mut items: Vec<Signal> = signals.iter().map(|&s| s.clone()).collect();
    items.extend(licences.iter().map(|l| {
        super::licence::signal(l).with_detail(Detail {
            spdx: Some(l.spdx.clone()),
            ..Detail::default()
        })
    }));
    items
}

/// Combine the signals of one page into its consent decision.
pub fn decide(input: ConsentInput<'_>) -> Consent {
    let all: Vec<&Signal> = input.fetch.iter().chain(input.training).collect();
    let evidence = evidence(&all, input.licences);
    let refused = |reasons: Vec<ReasonCode>| Consent {
        decision: Decision::Refused,
        reasons,
        evidence: evidence.clone(),
        unchecked: Vec::new(),
    };
    let fetch = refusing_reasons(input.fetch);
    if !fetch.is_empty() {
        return refused(fetch);
    }
    let training = refusing_reasons(input.training);
    if !training.is_empty() {
        return refused(training);
    }
    if input.policy == Policy::OpenLicenceOnly
        && !input
            .licences
            .iter()
            .any(|l| is_allowed(l, input.allowed_licences))
    {
        return refused(vec![ReasonCode::LicenceNotAllowed]);
    }
    Consent {
        decision: Decision::Kept,
        reasons: Vec::new(),
        evidence,
        unchecked: Vec::new(),
    }
}

/// The ledger row of a page that consent refused, whichever path it came by: every reason,
/// the signals (licence snippets taken out: a snippet is a few of the page's own words), and
/// `extra` (a JSON object: where the record is, the redirect chain). Nothing else of the page.
pub fn refusal_row(
    url: Option<String>,
    doc_id: Option<String>,
    source: Source,
    consent: &Consent,
    extra: Value,
) -> LedgerRow {
    let signals = assent_schemas::evidence::without_snippets(&consent.evidence);
    let mut evidence = json!({ "signals": signals });
    if let (Value::Object(ev), Value::Object(extra)) = (&mut evidence, extra) {
        ev.extend(extra);
    }
    let reason = consent
        .reasons
        .first()
        .copied()
        .unwrap_or(ReasonCode::RobotsDisallow);
    let mut row = LedgerRow::left(url, doc_id, source, Stage::Consent, reason, evidence);
    row.reasons = consent.reasons.clone();
    row
}

/// Before fetching a page: the refusal that site-level signals already imply (robots.txt,
/// ai.txt, tdmrep.json, RSL documents, the registry), or None when the page may be fetched
/// and the decision waits for page-level signals. The returned consent is what the ledger
/// records for the never-fetched URL.
pub fn site_level_refusal(signals: &[Signal]) -> Option<Consent> {
    let reasons = refusing_reasons(signals);
    if reasons.is_empty() {
        return None;
    }
    let all: Vec<&Signal> = signals.iter().collect();
    Some(Consent {
        decision: Decision::Refused,
        reasons,
        evidence: evidence(&all, &[]),
        unchecked: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(name: &str, v: Verdict) -> Signal {
        Signal::new(name, "https://s.example/", "raw", v)
    }

    fn refuse(name: &str, c: ReasonCode) -> Signal {
        sig(name, Verdict::Refuse(c))
    }

    fn cc(id: &str) -> Licence {
        Licence {
            spdx: id.into(),
            found_in: "link-rel".into(),
            url: Some(format!("https://creativecommons.org/{id}")),
            snippet: None,
        }
    }

    fn run(fetch: &[Signal], training: &[Signal], licences: &[Licence], policy: Policy) -> Consent {
        let allowed = super::super::licence::default_allowed();
        decide(ConsentInput {
            fetch,
            training,
            licences,
            policy,
            allowed_licences: &allowed,
        })
    }

    #[test]
    fn no_signals_kept_under_opt_out_refused_under_open_licence_only() {
        let c = run(&[], &[], &[], Policy::OptOut);
        assert_eq!(c.decision, Decision::Kept);
        assert!(c.reasons.is_empty());
        assert!(c.evidence.is_empty());
        let c = run(&[], &[], &[], Policy::OpenLicenceOnly);
        assert_eq!(c.decision, Decision::Refused);
        assert_eq!(c.reasons, vec![ReasonCode::LicenceNotAllowed]);
    }

    #[test]
    fn fetch_refusal_wins_with_its_reason_only() {
        let fetch = [
            sig("robots", Verdict::Allow),
            refuse("robots", ReasonCode::RobotsDisallow),
        ];
        let training = [refuse("noai.meta", ReasonCode::NoaiMeta)];
        for policy in [Policy::OptOut, Policy::OpenLicenceOnly] {
            let c = run(&fetch, &training, &[cc("CC-BY-4.0")], policy);
            assert_eq!(c.decision, Decision::Refused);
            assert_eq!(c.reasons, vec![ReasonCode::RobotsDisallow]);
        }
    }

    #[test]
    fn any_explicit_no_wins_and_all_reasons_are_kept() {
        // tdmrep.json reserves, the header says 0: refused.
        let training = [
            refuse("tdmrep.well-known", ReasonCode::TdmrepReserved),
            sig("tdmrep.header", Verdict::Allow),
            sig("aipref.header", Verdict::Allow),
            refuse("noai.header", ReasonCode::NoaiHeader),
            refuse("tdmrep.meta", ReasonCode::TdmrepReserved),
            sig("noai.meta", Verdict::Neutral),
        ];
        let c = run(
            &[sig("robots", Verdict::Allow)],
            &training,
            &[],
            Policy::OptOut,
        );
        assert_eq!(c.decision, Decision::Refused);
        assert_eq!(
            c.reasons,
            vec![ReasonCode::TdmrepReserved, ReasonCode::NoaiHeader]
        );
    }

    #[test]
    fn licence_never_overrides_a_refusal() {
        let training = [refuse("registry", ReasonCode::RegistryOptOut)];
        for policy in [Policy::OptOut, Policy::OpenLicenceOnly] {
            let c = run(&[], &training, &[cc("CC0-1.0")], policy);
            assert_eq!(c.decision, Decision::Refused);
            assert_eq!(c.reasons, vec![ReasonCode::RegistryOptOut]);
        }
    }

    #[test]
    fn open_licence_only_needs_an_allowed_licence() {
        let allow = [sig("aipref.header", Verdict::Allow)];
        let c = run(&[], &allow, &[cc("CC-BY-NC-4.0")], Policy::OpenLicenceOnly);
        assert_eq!(c.reasons, vec![ReasonCode::LicenceNotAllowed]);
        // An explicit yes is not a licence.
        let c = run(&[], &allow, &[], Policy::OpenLicenceOnly);
        assert_eq!(c.decision, Decision::Refused);
        let c = run(
            &[],
            &allow,
            &[cc("CC-BY-NC-4.0"), cc("CC-BY-SA-4.0")],
            Policy::OpenLicenceOnly,
        );
        assert_eq!(c.decision, Decision::Kept);
        assert!(c.reasons.is_empty());
        // Under opt-out a non-free licence does not matter.
        let c = run(&[], &[], &[cc("CC-BY-NC-4.0")], Policy::OptOut);
        assert_eq!(c.decision, Decision::Kept);
    }

    #[test]
    fn evidence_lists_every_signal_and_licence() {
        let fetch = [sig("robots", Verdict::Allow)];
        let training = [
            refuse("tdmrep.well-known", ReasonCode::TdmrepReserved),
            sig("noai.meta", Verdict::Neutral),
        ];
        let c = run(&fetch, &training, &[cc("CC-BY-4.0")], Policy::OptOut);
        let v = serde_json::to_value(&c.evidence).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 4);
        assert_eq!(v[0]["signal"], "robots");
        assert_eq!(v[0]["verdict"], "allow");
        assert_eq!(v[1]["verdict"], "refuse");
        assert_eq!(v[1]["reason"], "tdmrep.reserved");
        assert_eq!(v[3]["signal"], "licence");
        assert_eq!(v[3]["spdx"], "CC-BY-4.0");
        // Signals round-trip from the evidence.
        let back: Signal = serde_json::from_value(v[1].clone()).unwrap();
        assert_eq!(back, training[0]);
    }

    #[test]
    fn evidence_is_bounded() {
        let huge = "x".repeat(1_000_000);
        let s = Signal::new("aipref.header", "content-usage", &huge, Verdict::Neutral);
        let c = run(&[], &[s], &[], Policy::OptOut);
        assert!(assent_schemas::evidence::evidence_to_json(&c.evidence).len() < 2_000);
    }

    #[test]
    fn site_level() {
        assert!(site_level_refusal(&[sig("robots", Verdict::Allow)]).is_none());
        assert!(site_level_refusal(&[]).is_none());
        let c = site_level_refusal(&[
            sig("tdmrep.well-known", Verdict::Allow),
            refuse("ai-txt", ReasonCode::AiTxtDisallow),
            refuse("registry", ReasonCode::RegistryOptOut),
            refuse("ai-txt", ReasonCode::AiTxtDisallow),
        ])
        .unwrap();
        assert_eq!(c.decision, Decision::Refused);
        assert_eq!(
            c.reasons,
            vec![ReasonCode::AiTxtDisallow, ReasonCode::RegistryOptOut]
        );
        assert_eq!(c.evidence.len(), 4);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn verdict() -> impl Strategy<Value = Verdict> {
            prop_oneof![
                Just(Verdict::Allow),
                Just(Verdict::Neutral),
                proptest::sample::select(
                    ReasonCode::ALL
                        .iter()
                        .copied()
                        .filter(|c| c.decision() == Decision::Refused)
                        .collect::<Vec<_>>()
                )
                .prop_map(Verdict::Refuse),
            ]
        }

        fn signals() -> impl Strategy<Value = Vec<Signal>> {
            proptest::collection::vec(
                ("[a-z.]{1,12}", verdict()).prop_map(|(n, v)| sig(&n, v)),
                0..8,
            )
        }

        fn licences() -> impl Strategy<Value = Vec<Licence>> {
            proptest::collection::vec(
                proptest::sample::select(vec!["CC0-1.0", "CC-BY-4.0", "CC-BY-NC-4.0", "MIT"])
                    .prop_map(cc),
                0..3,
            )
        }

        proptest! {
            /// The combination rule: whatever else the signals say (an explicit yes, any
            /// licence, either policy), one "no" among them means the page is refused, with
            /// that no among its reasons; and only a no or a missing licence ever refuses.
            #[test]
            fn any_no_refuses(
                fetch in signals(),
                training in signals(),
                licences in licences(),
                open_only in any::<bool>(),
            ) {
                let policy = if open_only { Policy::OpenLicenceOnly } else { Policy::OptOut };
                let c = run(&fetch, &training, &licences, policy);
                let fetch_no = refusing_reasons(&fetch);
                let training_no = refusing_reasons(&training);
                if !fetch_no.is_empty() {
                    prop_assert_eq!(c.decision, Decision::Refused);
                    prop_assert_eq!(&c.reasons, &fetch_no);
                } else if !training_no.is_empty() {
                    prop_assert_eq!(c.decision, Decision::Refused);
                    prop_assert_eq!(&c.reasons, &training_no);
                } else if c.decision == Decision::Refused {
                    prop_assert_eq!(c.reasons, vec![ReasonCode::LicenceNotAllowed]);
                    prop_assert_eq!(policy, Policy::OpenLicenceOnly);
                }
                // Site-level refusal agrees: any no among the site signals refuses.
                let site: Vec<Signal> = fetch.iter().chain(&training).cloned().collect();
                prop_assert_eq!(
                    site_level_refusal(&site).is_some(),
                    !fetch_no.is_empty() || !training_no.is_empty()
                );
            }
        }
    }

    /// Every parser of this crate's consent signals on pseudo-random input built from the
    /// tokens that steer them: nothing may panic, and every raw value stays bounded.
    #[test]
    fn parsers_survive_random_input() {
        use super::super::{aipref, licence, noai, rsl, tdmrep};
        const PARTS: &[&str] = &[
            "<",
            ">",
            "/",
            "\"",
            "'",
            "=",
            " ",
            ",",
            ";",
            ":",
            "&",
            "#",
            "*",
            "$",
            "\n",
            "[",
            "]",
            "{",
            "}",
            "é",
            "\u{0}",
            "\u{feff}",
            "&#x110000;",
            "&amp;",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<?xml",
            "<!DOCTYPE",
            "meta",
            "name",
            "content",
            "robots",
            "noai",
            "noimageai",
            "script",
            "</script",
            "type",
            "application/rsl+xml",
            "rsl",
            "license",
            "permits",
            "prohibits",
            "usage",
            "ai-train",
            "url",
            "link",
            "rel",
            "href",
            "head",
            "body",
            "train-ai=n",
            "?0",
            "(",
            ")",
            "location",
            "tdm-reservation",
            "1",
            "0",
            "payment",
            "https://creativecommons.org/licenses/by/4.0/",
            "assentbot",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let url = url::Url::parse("https://s.example/a?b").unwrap();
        for _ in 0..3000 {
            let mut s = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 64) as usize;
            for _ in 0..n {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push_str(PARTS[(x % PARTS.len() as u64) as usize]);
            }
            let headers = vec![
                ("x-robots-tag".to_string(), s.clone()),
                ("link".to_string(), s.clone()),
                ("tdm-reservation".to_string(), s.clone()),
            ];
            let mut signals = vec![aipref::header_signal(&s, "content-usage")];
            let metas = crate::tags::head_metas(&s);
            signals.extend(noai::meta_signals(&metas, "AssentBot", "u"));
            signals.extend(noai::header_signals(&headers, "AssentBot"));
            signals.extend(tdmrep::header_signal(&headers, "u"));
            signals.extend(tdmrep::meta_signal(&metas, "u"));
            match tdmrep::TdmRepFile::parse(s.as_bytes(), "u") {
                Ok(f) => signals.extend(f.signal("/a")),
                Err(e) => signals.push(e.signal()),
            }
            if let Ok(d) = rsl::RslDocument::parse(s.as_bytes(), "u") {
                signals.push(d.signal(&url));
            }
            signals.extend(rsl::PageRsl::read(&s).inline_signals(&url));
            let _ = rsl::link_header_licences(&headers);
            let licences = licence::detect(&s);
            let _ = super::super::registry::OptOutRegistry::parse(&s, "f");
            assert!(signals.iter().all(|g| g.raw.len() <= super::super::MAX_RAW));
            let _ = run(&[], &signals, &licences, Policy::OpenLicenceOnly);
        }
    }
}
