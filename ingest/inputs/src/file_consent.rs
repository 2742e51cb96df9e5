//! Consent for pages this run did not crawl: archived responses (WARC), and text from other
//! tools (WET conversions, JSONL, Parquet). A false allow is the worst bug Assent can have,
//! so every path a page enters by is judged by the same rules as a crawl's:
//!
//! - page-level signals from the headers and markup stored with the response, by the same
//!   function the crawler calls ([`assent_consent::page::page_consent`]), with the RSL
//!   documents a page names read from the same site-file source;
//! - site-level signals from a [`SiteSource`]: the captures among the inputs (`archive`) or
//!   the hosts as they answer today (`live`), plus the opt-out registry;
//! - where something could not be checked (no site files of the host; text without headers
//!   or markup), the document's `consent.unchecked` says what, its evidence says why, and
//!   `[consent] unchecked` keeps it or refuses it (`consent.unchecked`).

use assent_consent::licence::{Finding, Tier};
use assent_consent::page::{self, ConsentRules, PageMarkup, PageResponse};
use assent_consent::registry::OptOutRegistry;
use assent_consent::site::{SiteLookup, SiteSignals, SiteSource};
use assent_consent::{Policy, Signal, Verdict};
use assent_schemas::page::{InputItem, Page, Payload};
use assent_schemas::{Consent, Decision, Licence, ReasonCode, Unchecked};
use std::sync::Arc;
use url::Url;

/// The consent rules of a curation run, for pages that arrive without a decision.
pub struct FileConsent {
    pub source: Arc<dyn SiteSource>,
    pub registry: Option<OptOutRegistry>,
    pub token: String,
    pub policy: Policy,
    pub allowed_licences: Vec<String>,
    /// `[consent] unchecked = "refuse"`: a document whose consent could not be checked
    /// wholly is refused (`consent.unchecked`) rather than kept saying so.
    pub refuse_unchecked: bool,
}

/// The URL page-level checks see for a record that has none.
const NO_URL: &str = "urn:assent:no-url";

/// The neutral evidence of a part of consent that could not be checked.
fn unchecked_signal(part: Unchecked, found_in: &str, why: &str) -> Signal {
    Signal::new(
        "consent.unchecked",
        found_in,
        &format!("{}: {why}", part.as_str()),
        Verdict::Neutral,
    )
}

/// A licence an earlier pass found, as a finding of the tier its place implies (microdata and
/// RDFa taken as the body's, the lower of the two they may have had).
fn carried_licence(l: &Licence) -> Finding {
    let tier = match l.found_in.as_str() {
        "text" => Tier::Text,
        "a-rel" | "microdata" | "rdfa" => Tier::Body,
        _ => Tier::Metadata,
    };
    Finding {
        licence: l.clone(),
        tier,
    }
}

/// The signals of consent evidence carried by the input: one refusal per refusing reason of a
/// refused record, else one neutral signal holding (the start of) the carried evidence.
fn carried_signals(carried: &Consent, found_in: &str) -> Vec<Signal> {
    let refusing: Vec<ReasonCode> = carried
        .reasons
        .iter()
        .copied()
        .filter(|r| r.decision() == Decision::Refused)
        .collect();
    if carried.decision == Decision::Refused {
        let reasons = if refusing.is_empty() {
            vec![ReasonCode::ConsentUnchecked]
        } else {
            refusing
        };
        // A refusal's evidence is not copied: what another tool wrote there is not ours to
        // vouch for as free of the page's text.
        return reasons
            .into_iter()
            .map(|r| {
                let raw = format!("refused by an earlier pass ({r})");
                Signal::new("consent.carried", found_in, &raw, Verdict::Refuse(r))
            })
            .collect();
    }
    // The earlier signals themselves go with the document (the pipeline puts them before
    // this run's); this one only says they were checked, so a refusal's row never repeats them.
    let raw = format!(
        "checked by an earlier pass ({} signals)",
        carried.evidence.len()
    );
    vec![Signal::new(
        "consent.carried",
        found_in,
        &raw,
        Verdict::Neutral,
    )]
}

impl FileConsent {
    /// Lets the site source fetch, for the pages of a batch at once, whatever it will be asked.
    pub fn prepare(&self, batch: &[InputItem]) {
        let urls: Vec<Url> = batch
            .iter()
            .filter_map(|item| match item {
                InputItem::Page(p) if p.consent.is_none() => Url::parse(&p.url).ok(),
                InputItem::Document(d) => Url::parse(&d.url).ok(),
                _ => None,
            })
            .collect();
        if !urls.is_empty() {
            self.source.prepare(&urls);
        }
    }

    /// The site-level signals of `url`, and why they could not be checked, if they could not.
    fn site(&self, url: &Url) -> (SiteSignals, Option<String>) {
        match self.source.lookup(url) {
            SiteLookup::Rules(rules) => (
                rules.signals(&self.token, self.registry.as_ref(), url),
                None,
            ),
            SiteLookup::Unchecked(why) => {
                let mut training = vec![unchecked_signal(Unchecked::Site, url.as_str(), &why)];
                training.extend(self.registry.as_ref().and_then(|r| r.check(url)));
                let site = SiteSignals {
                    training,
                    ..SiteSignals::default()
                };
                (site, Some(why))
            }
        }
    }

    /// The consent decision for `page` and the licence to record with it; `url` is the
    /// page's URL as admission parsed it (None when it does not parse).
    pub fn judge(&self, page: &Page, url: Option<&Url>) -> (Consent, Option<Licence>) {
        let rules = ConsentRules {
            token: &self.token,
            policy: self.policy,
            allowed_licences: &self.allowed_licences,
        };
        let (url, (site, site_unchecked)) = match url {
            Some(url) => {
                let site = self.site(url);
                (url.clone(), site)
            }
            // A record without a usable URL (a WARC record with no target, a text row with
            // no `url`): no site to ask; its markup is still read, under a placeholder URL.
            None => {
                let why = "the record has no URL";
                let site = SiteSignals {
                    training: vec![unchecked_signal(Unchecked::Site, "", why)],
                    ..SiteSignals::default()
                };
                let placeholder = Url::parse(NO_URL).expect("a valid URL");
                (placeholder, (site, Some(why.to_string())))
            }
        };
        let mut unchecked = Vec::new();
        if site_unchecked.is_some() {
            unchecked.push(Unchecked::Site);
        }
        let is_html = match &page.payload {
            Payload::Decoded(d) => d.html,
            other => matches!(other, Payload::Html(_)),
        };
        // Read as admission decoded it (a body that is not text, lossily: its markup counts).
        let text = assent_extract::scan_text(&page.payload);
        let mut site = site;
        if matches!(page.payload, Payload::Text(_)) {
            // Text with neither headers nor markup.
            match &page.carried_consent {
                // What an earlier pass decided: its refusals refuse here too, and what it
                // checked counts as checked.
                Some(carried) => {
                    site.training.extend(carried_signals(carried, url.as_str()));
                    // The licence it found in markup this input no longer holds.
                    site.licences
                        .extend(page.licence.as_ref().map(carried_licence));
                    if carried.unchecked.contains(&Unchecked::Page) {
                        unchecked.push(Unchecked::Page);
                    }
                    if !carried.unchecked.contains(&Unchecked::Site) {
                        unchecked.retain(|u| *u != Unchecked::Site);
                    }
                }
                None => {
                    unchecked.push(Unchecked::Page);
                    site.training.push(unchecked_signal(
                        Unchecked::Page,
                        url.as_str(),
                        "the input holds no response headers or markup",
                    ));
                }
            }
        }
        let markup = is_html.then(|| PageMarkup::read(&text));
        let response = PageResponse {
            url: &url,
            headers: &page.headers,
            html: is_html.then_some(&*text),
            text: (!is_html).then_some(&*text),
            markup: markup.as_ref(),
        };
        let (mut consent, licence) = self.with_rsl(rules, site, response);
        self.apply_unchecked(&mut consent, unchecked);
        (consent, licence)
    }

    fn with_rsl(
        &self,
        rules: ConsentRules<'_>,
        site: SiteSignals,
        response: PageResponse<'_>,
    ) -> (Consent, Option<Licence>) {
        let (named, cap) = page::rsl_named(&response);
        let mut docs: Vec<_> = named.iter().map(|n| self.source.rsl_document(n)).collect();
        docs.extend(cap.map(Err));
        page::page_consent(rules, site, response, docs)
    }

    /// Records what could not be checked, and refuses a kept page for it under `refuse`.
    fn apply_unchecked(&self, consent: &mut Consent, unchecked: Vec<Unchecked>) {
        if consent.decision == Decision::Kept && !unchecked.is_empty() && self.refuse_unchecked {
            consent.decision = Decision::Refused;
            consent.reasons = vec![ReasonCode::ConsentUnchecked];
        }
        consent.unchecked = unchecked;
    }
}
