//! A polite, consent-aware crawler whose pages enter the same pipeline as WARC input.
//!
//! [`crawl`] runs on a background thread and yields [`InputItem`](assent_schemas::page::InputItem)s: a page
//! for every response that was kept, a ledger row for every other URL it considered.
//!
//! - [`config`]: [`CrawlConfig`], every option with a default.
//! - [`guard`]: never connect to loopback, private, link-local or metadata addresses.
//! - [`fetch`]: one request at a time, body and decompression caps, Retry-After.
//! - [`politeness`]: one request in flight per host, pauses between requests.
//! - [`site`]: robots.txt, ai.txt, tdmrep.json, RSL documents and the registry, per origin,
//!   before any page; `page_consent` adds the page's own signals after fetching.
//! - [`links`] and [`sitemap`]: where the crawl goes next.
//! - [`crawler`]: [`crawl`], the shared state and output; `worker`: one origin's queue and the
//!   path of one URL through consent, fetch and redirects.
//! - [`live`]: the same site-file fetching for archived pages whose sites are asked today.

pub mod config;
pub mod crawler;
pub mod fetch;
pub mod guard;
pub mod links;
pub mod live;
mod page_consent;
pub mod politeness;
pub mod site;
pub mod sitemap;
#[cfg(test)]
mod tests;
mod worker;

pub use config::CrawlConfig;
pub use crawler::{crawl, warc_name, Crawl, CrawlError, WARC_NAME};
pub use links::rank_of_seed;
