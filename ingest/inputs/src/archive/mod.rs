//! Site files captured in web archives, so that archived pages are judged by what their sites
//! said (`[consent] site_signals = "archive"`, the default for WARC input).
//!
//! Common Crawl publishes the robots.txt files it fetched as WARC files of their own, and an
//! Assent crawl stores robots.txt, ai.txt, tdmrep.json and RSL documents in its WARC ahead of
//! the pages. Before curation, every WARC input of the rank and every `--site-files` archive
//! is read once by [`SiteFileIndex::scan`], which also computes the file's sha256 for the
//! manifest (so no extra read is spent on it): each response to `/robots.txt`, `/ai.txt` and
//! `/.well-known/tdmrep.json`, and each RSL document, is kept — its body in a spill file, its
//! place and provenance in memory — and [`ArchivedSites`] builds the crawler's
//! [`SiteRules`](assent_consent::site::SiteRules) from them for every origin asked about.
//!
//! The rules, with their reasons:
//! - Of several captures of one file of one origin, the latest (by `WARC-Date`) is used: it is
//!   the nearest to what the owner wants now. On a tie the later record in input order wins.
//! - robots.txt answered 2xx: its rules. 4xx other than 429: "unavailable", nothing forbidden
//!   (RFC 9309 section 2.3.1.3). 5xx or 429: "unreachable", nothing of the origin is kept
//!   (section 2.3.1.4). 3xx: the Location is followed to the robots.txt capture of its
//!   origin, five hops at most (more is "unavailable", section 2.3.1.2); a Location not among
//!   the captures leaves the site unchecked.
//! - No robots.txt capture of the origin: site-level consent is unchecked (`site` in the
//!   document's `consent.unchecked`, and `[consent] unchecked` decides).
//! - ai.txt and tdmrep.json not captured are absent, as a 404 is when crawling; the evidence
//!   says which files were and were not found. An RSL document (named by robots.txt or by a
//!   page) that is not captured is unavailable: `rsl.unavailable`, as when it cannot be
//!   fetched.
//! - Every file used is named in the evidence with the WARC file, record id and offset it
//!   came from, its capture time, and its sha256.

mod index;
mod sites;
mod spill;

pub use index::{FileDigest, SiteFile, SiteFileIndex};
pub use sites::ArchivedSites;

#[cfg(test)]
mod tests;
