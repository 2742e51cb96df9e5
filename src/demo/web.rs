//! The demo web: generated sites on 127.0.0.1 that between them use every consent signal the
//! crawler honours, so that `assent demo` (and the crawler's tests) exercise each one for real.
//!
//! One HTTP server answers for every host, choosing the site by the `Host` header; the crawler
//! reaches the hosts through `--resolve HOST:PORT:127.0.0.1`. What each host says:
//!
//! | host | signal | expected outcome |
//! | --- | --- | --- |
//! | `garden.demo.test` | none; pages under CC BY 4.0 (`rel=license`) | kept, licence recorded |
//! | `stars.demo.test` | robots.txt `Disallow: /private/`, `Disallow: /%7Eastronomer/` (RFC 9309 percent-encoding: it covers `/~astronomer/`), `Crawl-delay` | /private/ and /~astronomer/ never fetched |
//! | `bakery.demo.test` | robots.txt disallows GPTBot and CCBot | refused, never fetched |
//! | `river.demo.test` | robots.txt `Content-Usage: /reports/ train-ai=n`; two of its sixteen fetched pages claim CC BY 4.0 (`/articles/1` by `rel=license`, `/articles/2` in its text) | /reports/ refused; with a licence guard (`[licence] min_domain_share`) under `open-licence-only`, the two claims are too few to believe |
//! | `cycling.demo.test` | robots.txt `Content-Signal: ai-train=no` between `User-agent: *` and `User-agent: AssentBot` (one group, RFC 9309 section 2.2.4) | refused |
//! | `history.demo.test` | tdmrep.json: an invalid rule, then one reserving /archive/; a header and a meta tag reserve two pages | those refused |
//! | `allotment.demo.test` | `noai` meta on some pages (one after 300 KiB of inline style), `X-Robots-Tag: noai` on others, `noimageai` on one | noai refused, noimageai kept |
//! | `skywatch.demo.test` | ai.txt disallows /members/ | /members/ refused |
//! | `crumb.demo.test` | robots.txt `License:` names an RSL document prohibiting ai-train | refused, never fetched |
//! | `wetlands.demo.test` | listed in the demo's opt-out registry | refused, never fetched |
//! | `workshop.demo.test` | `Content-Usage: train-ai=n` header on some pages, a `Link` to a missing RSL document on others, a `<link rel=license>` to an RSL document whose `<content server>` needs a licence server on others; robots.txt names AssentBot in its own group while disallowing GPTBot | those pages refused, the rest kept |
//! | `archive.demo.test` | robots.txt answers 503 | nothing fetched |
//! | `mirror.demo.test` | copies of garden articles (exact) and lightly edited ones (near) | dedup |

use super::text::{paragraph, sentence, title, Rng, TOPICS};
use std::collections::BTreeMap;

/// A response of the demo web.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl DemoResponse {
    fn html(body: String) -> Self {
        DemoResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
        }
    }
    fn text(content_type: &str, body: &str) -> Self {
        DemoResponse {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }
    fn status(status: u16) -> Self {
        DemoResponse {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("{status}\n").into_bytes(),
        }
    }
    fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Articles per host.
pub const ARTICLES: usize = 20;

/// Every host of the demo web.
pub const HOSTS: &[&str] = &[
    "garden.demo.test",
    "stars.demo.test",
    "bakery.demo.test",
    "river.demo.test",
    "cycling.demo.test",
    "history.demo.test",
    "allotment.demo.test",
    "skywatch.demo.test",
    "crumb.demo.test",
    "wetlands.demo.test",
    "workshop.demo.test",
    "archive.demo.test",
    "mirror.demo.test",
];

/// The opt-out registry the demo crawls with.
pub const REGISTRY: &str = "# Assent demo opt-out registry\nwetlands.demo.test\n";

/// The hosts of [`DemoWeb::open_sites`].
pub fn bench_hosts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("site{i}.bench.test")).collect()
}

/// Each host's front page on `port`.
pub fn seeds_for<S: AsRef<str>>(hosts: &[S], port: u16) -> Vec<String> {
    hosts
        .iter()
        .map(|h| format!("http://{}:{port}/", h.as_ref()))
        .collect()
}

/// `HOST:PORT:127.0.0.1` for each host.
pub fn resolve_for<S: AsRef<str>>(hosts: &[S], port: u16) -> Vec<String> {
    hosts
        .iter()
        .map(|h| format!("{}:{port}:127.0.0.1", h.as_ref()))
        .collect()
}

/// Where an article lives on a host: some hosts put some of them under a signalled section.
fn article_path(host: &str, n: usize) -> String {
    let section = match (host, n % 4) {
        ("stars.demo.test", 0) => "private",
        ("stars.demo.test", 1) => "~astronomer",
        ("river.demo.test", 0) => "reports",
        ("history.demo.test", 0) => "archive",
        ("skywatch.demo.test", 0) => "members",
        _ => "articles",
    };
    format!("/{section}/{n}")
}

/// The generated web: every page's HTML by (host, path), built once.
pub struct DemoWeb {
    pages: BTreeMap<(String, String), DemoResponse>,
}

impl Default for DemoWeb {
    fn default() -> Self {
        Self::new()
    }
}

impl DemoWeb {
    pub fn new() -> Self {
        let mut rng = Rng::new(0x0D3A_07EB);
        let mut pages = BTreeMap::new();
        let mut garden = Vec::new();
        for (h, host) in HOSTS.iter().enumerate() {
            if *host == "mirror.demo.test" {
                continue;
            }
            let topic = &TOPICS[h % TOPICS.len()];
            let mut links = Vec::new();
            for n in 0..ARTICLES {
                let path = article_path(host, n);
                let heading = title(&mut rng, topic);
                let mut paras: Vec<String> = (0..4 + rng.below(4))
                    .map(|_| paragraph(&mut rng, topic))
                    .collect();
                if (*host, n) == ("river.demo.test", 2) {
                    paras.push(RIVER_LICENCE_STATEMENT.to_string());
                }
                if n % 7 == 3 {
                    // Personal data for the PII step (an invented address and a number of
                    // Ofcom's range kept for drama, 020 7946 0xxx).
                    paras.push(format!(
                        "Questions about this article go to editor{n}@{host} or to +44 20 7946 0{:03} on weekdays.",
                        100 + n
                    ));
                }
                let next = article_path(host, (n + 1) % ARTICLES);
                let html = article_html(host, &heading, &paras, &next, page_markup(host, n));
                if *host == "garden.demo.test" {
                    garden.push((heading.clone(), paras.clone()));
                }
                pages.insert((host.to_string(), path.clone()), DemoResponse::html(html));
                links.push((path, heading));
            }
            pages.insert(
                (host.to_string(), "/".into()),
                DemoResponse::html(index_html(host, &links)),
            );
        }
        let mut links = Vec::new();
        for (n, (heading, paras)) in garden.iter().enumerate().take(ARTICLES / 2) {
            let mut paras = paras.clone();
            if n % 2 == 1 {
                // A near-duplicate: a credit line added, one sentence of the last paragraph
                // rewritten, the rest as the original (a Jaccard similarity near 0.9).
                paras[0] = format!("Republished by the mirror with thanks. {}", paras[0]);
                let last = paras.len() - 1;
                let cut = paras[last].find(". ").map_or(paras[last].len(), |i| i + 2);
                paras[last] = format!(
                    "{}{}",
                    sentence(&mut rng, &TOPICS[0]),
                    &paras[last][cut.min(paras[last].len())..]
                );
            }
            let path = format!("/copy/{n}");
            let html = article_html("mirror.demo.test", heading, &paras, "/", String::new());
            pages.insert(
                ("mirror.demo.test".into(), path.clone()),
                DemoResponse::html(html),
            );
            links.push((path, heading.clone()));
        }
        pages.insert(
            ("mirror.demo.test".into(), "/".into()),
            DemoResponse::html(index_html("mirror.demo.test", &links)),
        );
        DemoWeb { pages }
    }

    /// A web of `hosts` plain sites (`site0.bench.test`, …) with `articles` pages each and no
    /// signal at all: the load for the crawler benchmark.
    pub fn open_sites(hosts: usize, articles: usize) -> Self {
        let mut rng = Rng::new(0x000B_E7C4);
        let mut pages = BTreeMap::new();
        for host in bench_hosts(hosts) {
            let topic = &TOPICS[rng.below(TOPICS.len())];
            let mut links = Vec::new();
            for n in 0..articles {
                let path = format!("/articles/{n}");
                let heading = title(&mut rng, topic);
                let paras: Vec<String> = (0..4).map(|_| paragraph(&mut rng, topic)).collect();
                let next = format!("/articles/{}", (n + 1) % articles.max(1));
                let html = article_html(&host, &heading, &paras, &next, String::new());
                pages.insert((host.clone(), path.clone()), DemoResponse::html(html));
                links.push((path, heading));
            }
            pages.insert(
                (host.clone(), "/".into()),
                DemoResponse::html(index_html(&host, &links)),
            );
        }
        DemoWeb { pages }
    }

    /// Seeds for a crawl of the whole demo web: each host's front page.
    pub fn seeds(port: u16) -> Vec<String> {
        seeds_for(HOSTS, port)
    }

    /// `--resolve` entries mapping every host to the server.
    pub fn resolve_entries(port: u16) -> Vec<String> {
        resolve_for(HOSTS, port)
    }

    /// Number of article and index pages.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Every article and index page, as (host, path).
    pub fn page_paths(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pages.keys().map(|(h, p)| (h.as_str(), p.as_str()))
    }

    /// The response for `host` (port stripped) and `path`.
    /// `authority` is the Host header as sent (`host:port`); absolute URLs in site files and
    /// headers are built from it, so that they lead back to this server.
    pub fn respond(&self, authority: &str, path: &str) -> DemoResponse {
        let authority = authority.to_ascii_lowercase();
        let host = authority.split(':').next().unwrap_or("").to_string();
        if let Some(site_file) = site_file(&host, &authority, path) {
            return site_file;
        }
        let page = self
            .pages
            .get(&(host, path.to_string()))
            .cloned()
            .unwrap_or_else(|| DemoResponse::status(404));
        page_headers(&authority, path, page)
    }
}

/// The paths where hosts of the demo web may have site files.
pub const SITE_FILE_PATHS: &[&str] = &[
    "/robots.txt",
    "/ai.txt",
    "/.well-known/tdmrep.json",
    "/license.xml",
    "/server-licence.xml",
];

/// robots.txt, ai.txt, tdmrep.json and RSL documents of each host.
fn site_file(host: &str, authority: &str, path: &str) -> Option<DemoResponse> {
    let robots = |body: &str| Some(DemoResponse::text("text/plain", body));
    match (host, path) {
        ("archive.demo.test", "/robots.txt") => Some(DemoResponse::status(503).with_header("Retry-After", "3600")),
        ("stars.demo.test", "/robots.txt") => robots("User-agent: *\nCrawl-delay: 0.05\nDisallow: /private/\nDisallow: /%7Eastronomer/\n"),
        ("bakery.demo.test", "/robots.txt") => robots("User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"),
        ("river.demo.test", "/robots.txt") => robots("User-agent: *\nAllow: /\nContent-Usage: /reports/ train-ai=n\n"),
        ("cycling.demo.test", "/robots.txt") => robots("User-agent: *\nContent-Signal: search=yes, ai-train=no\nUser-agent: AssentBot\nAllow: /\n"),
        ("crumb.demo.test", "/robots.txt") => robots(&format!("License: http://{authority}/license.xml\n\nUser-agent: *\nAllow: /\n")),
        ("crumb.demo.test", "/license.xml") => Some(DemoResponse::text(
            "application/rsl+xml",
            "<rsl xmlns=\"https://rslstandard.org/rsl\">\n  <content url=\"/\">\n    <license>\n      <permits type=\"usage\">search</permits>\n      <prohibits type=\"usage\">ai-train</prohibits>\n    </license>\n  </content>\n</rsl>\n",
        )),
        ("workshop.demo.test", "/robots.txt") => robots("User-agent: GPTBot\nDisallow: /\n\nUser-agent: AssentBot\nAllow: /\n"),
        ("history.demo.test", "/.well-known/tdmrep.json") => Some(DemoResponse::text(
            "application/json",
            "[{\"location\": \"/drafts/\", \"tdm-reservation\": \"yes\"},\n {\"location\": \"/archive/*\", \"tdm-reservation\": 1, \"tdm-policy\": \"http://history.demo.test/policy.json\"},\n {\"location\": \"/*\", \"tdm-reservation\": 0}]\n",
        )),
        ("workshop.demo.test", "/server-licence.xml") => Some(DemoResponse::text(
            "application/rsl+xml",
            "<rsl xmlns=\"https://rslstandard.org/rsl\">\n  <content url=\"/\" server=\"https://licensing.workshop.demo.test/\">\n    <license>\n      <permits type=\"usage\">all</permits>\n      <payment type=\"free\"/>\n    </license>\n  </content>\n</rsl>\n",
        )),
        ("skywatch.demo.test", "/ai.txt") => Some(DemoResponse::text("text/plain", "User-Agent: *\nDisallow: /members/\nDisallow: *.jpg\n")),
        (_, "/robots.txt") => robots("User-agent: *\nAllow: /\n"),
        _ => None,
    }
}

/// The sentence by which river's second article claims a licence in its text.
pub const RIVER_LICENCE_STATEMENT: &str = "This article is licensed under CC BY 4.0.";

/// Extra `<head>` markup for pages that carry a signal in their HTML.
fn page_markup(host: &str, n: usize) -> String {
    if (host, n) == ("river.demo.test", 1) {
        return "<link rel=\"license\" href=\"https://creativecommons.org/licenses/by/4.0/\">"
            .into();
    }
    if (host, n) == ("allotment.demo.test", 5) {
        // A noai meta tag after a large inline style: the whole head is read.
        let style = ".demo { color: #335; }\n".repeat(300 * 1024 / 22);
        return format!("<style>{style}</style><meta name=\"robots\" content=\"noai\">");
    }
    match (host, n % 5) {
        ("garden.demo.test", _) => {
            "<link rel=\"license\" href=\"https://creativecommons.org/licenses/by/4.0/\">".into()
        }
        ("allotment.demo.test", 1) => "<meta name=\"robots\" content=\"noai, noimageai\">".into(),
        ("allotment.demo.test", 3) => "<meta name=\"robots\" content=\"noimageai\">".into(),
        ("history.demo.test", 2) => "<meta name=\"tdm-reservation\" content=\"1\">".into(),
        ("workshop.demo.test", 4) => {
            "<link rel=\"license\" type=\"application/rsl+xml\" href=\"/server-licence.xml\">"
                .into()
        }
        _ => String::new(),
    }
}

/// Response headers that carry a signal, chosen by the article number in the path.
fn page_headers(authority: &str, path: &str, r: DemoResponse) -> DemoResponse {
    let host = authority.split(':').next().unwrap_or("");
    let Some(n) = path
        .rsplit('/')
        .next()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return r;
    };
    match (host, n % 5) {
        ("allotment.demo.test", 2) => r.with_header("X-Robots-Tag", "noai"),
        ("allotment.demo.test", 4) => r.with_header("X-Robots-Tag", "otherbot: noai"),
        ("history.demo.test", 3) => r.with_header("tdm-reservation", "1"),
        ("workshop.demo.test", 1) => r.with_header("Content-Usage", "train-ai=n"),
        ("workshop.demo.test", 3) => r.with_header(
            "Link",
            &format!("<http://{authority}/missing-licence.xml>; rel=\"license\"; type=\"application/rsl+xml\""),
        ),
        _ => r,
    }
}

fn nav(host: &str) -> String {
    format!("<nav><a href=\"/\">Home</a> | <a href=\"http://{host}/about\">About</a> | <a href=\"/contact\">Contact</a></nav>")
}

fn article_html(
    host: &str,
    heading: &str,
    paragraphs: &[String],
    next: &str,
    head_extra: String,
) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{heading}</title>{head_extra}\
         <script>var tracking = 'demo';</script></head>\n<body>{}\n<main><h1>{heading}</h1>\n{body}\
         <p><a href=\"{next}\">Next article</a></p></main>\n<footer>Demo site {host}. Cookies: none.</footer></body></html>\n",
        nav(host)
    )
}

fn index_html(host: &str, links: &[(String, String)]) -> String {
    let items: String = links
        .iter()
        .map(|(p, t)| format!("<li><a href=\"{p}\">{t}</a></li>\n"))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{host}</title></head>\n\
         <body>{}\n<h1>Welcome to {host}</h1>\n<ul>\n{items}</ul>\n</body></html>\n",
        nav(host)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_host_has_a_front_page_and_articles_link_onwards() {
        let web = DemoWeb::new();
        for host in HOSTS {
            let front = web.respond(host, "/");
            assert_eq!(front.status, 200, "{host}");
            let html = String::from_utf8(front.body).unwrap();
            assert!(html.contains("href=\"/"), "{host} front page links nowhere");
        }
        assert!(
            web.page_count() > 250,
            "a few hundred pages: {}",
            web.page_count()
        );
        assert_eq!(web.respond("garden.demo.test", "/nope").status, 404);
    }

    #[test]
    fn signals_are_where_the_table_says() {
        let web = DemoWeb::new();
        let robots = |h: &str| String::from_utf8(web.respond(h, "/robots.txt").body).unwrap();
        assert!(robots("bakery.demo.test").contains("User-agent: GPTBot"));
        assert!(robots("cycling.demo.test").contains("ai-train=no"));
        assert!(robots("river.demo.test").contains("Content-Usage: /reports/ train-ai=n"));
        assert_eq!(
            web.respond("archive.demo.test:8080", "/robots.txt").status,
            503
        );
        let header = |h: &str, p: &str, name: &str| {
            web.respond(h, p)
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header("allotment.demo.test", "/articles/2", "X-Robots-Tag").as_deref(),
            Some("noai")
        );
        assert_eq!(
            header("workshop.demo.test", "/articles/1", "Content-Usage").as_deref(),
            Some("train-ai=n")
        );
        assert_eq!(
            header("history.demo.test", "/articles/3", "tdm-reservation").as_deref(),
            Some("1")
        );
        let meta =
            String::from_utf8(web.respond("allotment.demo.test", "/articles/1").body).unwrap();
        assert!(meta.contains("content=\"noai, noimageai\""));
        let river = |p: &str| String::from_utf8(web.respond("river.demo.test", p).body).unwrap();
        assert!(river("/articles/1").contains("rel=\"license\""));
        assert!(river("/articles/2").contains(RIVER_LICENCE_STATEMENT));
        assert!(!river("/articles/3").contains("licen"));
        assert_eq!(web.respond("stars.demo.test", "/private/0").status, 200);
        assert!(REGISTRY.contains("wetlands.demo.test"));
        // The cases of RFC 9309 percent-encoding, a partly invalid tdmrep.json, RSL licence
        // servers and a long head.
        assert!(robots("stars.demo.test").contains("Disallow: /%7Eastronomer/"));
        assert_eq!(web.respond("stars.demo.test", "/~astronomer/1").status, 200);
        let tdm = String::from_utf8(
            web.respond("history.demo.test", "/.well-known/tdmrep.json")
                .body,
        )
        .unwrap();
        assert!(tdm.contains("\"tdm-reservation\": \"yes\"") && tdm.contains("/archive/*"));
        let workshop =
            String::from_utf8(web.respond("workshop.demo.test", "/articles/4").body).unwrap();
        assert!(workshop.contains("type=\"application/rsl+xml\" href=\"/server-licence.xml\""));
        let server = web.respond("workshop.demo.test", "/server-licence.xml");
        assert!(String::from_utf8(server.body).unwrap().contains("server="));
        let long =
            String::from_utf8(web.respond("allotment.demo.test", "/articles/5").body).unwrap();
        let meta = long.find("content=\"noai\"").unwrap();
        assert!(
            meta > 256 * 1024,
            "the noai meta comes after 256 KiB of head"
        );
    }

    #[test]
    fn open_sites_are_plain_and_linked() {
        let web = DemoWeb::open_sites(3, 5);
        assert_eq!(web.page_count(), 3 * 6);
        let front = String::from_utf8(web.respond("site2.bench.test", "/").body).unwrap();
        assert!(front.contains("href=\"/articles/4\""));
        let robots =
            String::from_utf8(web.respond("site0.bench.test", "/robots.txt").body).unwrap();
        assert_eq!(robots, "User-agent: *\nAllow: /\n");
        assert_eq!(
            seeds_for(&bench_hosts(2), 9)[1],
            "http://site1.bench.test:9/"
        );
    }

    #[test]
    fn mirror_holds_exact_and_near_copies_of_garden() {
        let web = DemoWeb::new();
        let body = |h: &str, p: &str| String::from_utf8(web.respond(h, p).body).unwrap();
        let original = body("garden.demo.test", "/articles/0");
        let exact = body("mirror.demo.test", "/copy/0");
        let near = body("mirror.demo.test", "/copy/1");
        let para = |html: &str, i: usize| {
            html.split("<p>")
                .nth(i + 1)
                .unwrap()
                .split("</p>")
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(para(&original, 0), para(&exact, 0));
        let garden1 = body("garden.demo.test", "/articles/1");
        assert_eq!(
            para(&near, 0),
            format!(
                "Republished by the mirror with thanks. {}",
                para(&garden1, 0)
            ),
            "a credit line added"
        );
        // Near enough for the near-dedup step, not equal.
        let texts = |html: &str| {
            (0..)
                .map_while(|i| html.split("<p>").nth(i + 1).map(|_| para(html, i)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let config = assent_dedup::minhash::MinHashConfig::default();
        let (a, b) = (texts(&garden1), texts(&near));
        let j = assent_dedup::minhash::jaccard(
            &assent_dedup::minhash::shingles(&a, &config),
            &assent_dedup::minhash::shingles(&b, &config),
        );
        assert!((0.85..1.0).contains(&j), "Jaccard {j}");
    }
}
