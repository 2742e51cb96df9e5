//! Which blocks are the page's main content.
//!
//! 1. Every element gets a class from its tag, `role`, `class`, `id` and `itemprop`:
//!    boilerplate (`<nav>`, `<footer>`, `<aside>`, `<header>`, `<form>`, figures and captions;
//!    navigation roles; words such as "comments", "related", "share", "cookie",
//!    "newsletter", "promo"), weak boilerplate ("ad", "sidebar", "tags": words that wrappers
//!    of the whole page carry too), strong content (`<article>`, `<main>`,
//!    `itemprop=articleBody`, "article-body", "entry-content"), content ("post", "story") or
//!    neither. A boilerplate element holding a strong content element, or a weak one holding
//!    most of the page's prose, is a wrapper with a misleading name, not boilerplate.
//! 2. Every block gets a value: its length if it reads like prose (80 bytes or more with few
//!    links, or a short sentence without links), minus its length if it is mostly links or
//!    inside boilerplate, a little less than nothing otherwise. When the page's JSON-LD has an
//!    `articleBody`, blocks whose text is in it gain twice their length: the publisher's own
//!    statement of where the article is; if it is the whole article (as long as half the
//!    page's prose, not a summary), prose that it does not have counts for nothing.
//! 3. The container is the element whose blocks add up to the most (one pass in reverse
//!    document order sums them into every ancestor): the smallest subtree that holds the
//!    prose and leaves the link lists around it out. Then a strong content element around it
//!    scoring at least half as much (the article with its short paragraphs and list items),
//!    or inside it scoring at least 70% as much (the article without the teasers next to
//!    it), is taken instead. Less than 100 bytes of prose is no main content: the page gives
//!    all its text outside boilerplate.
//! 4. Inside the container, blocks under boilerplate elements, link lists, labels of the
//!    page's furniture ("Advertisement", "Share this") and headings left heading nothing are
//!    left out.

use super::dom::{Document, NodeId, NodeKind, Tag, NONE};
use super::render::{Block, BlockKind};

/// What an element's markup says about its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Boilerplate,
    /// Words such as "ad" or "sidebar", which wrappers of the whole page have too.
    WeakBoilerplate,
    /// A word such as "content" or "post".
    Content,
    /// `<article>`, `<main>`, `itemprop=articleBody`, "article-body", "entry-content", ….
    StrongContent,
    Neutral,
}

/// Words in `class` and `id` that mark boilerplate whatever else the element says of itself
/// ("related-articles", "comment-content").
const BOILERPLATE_WORDS: &[&str] = &[
    "advert",
    "advertisement",
    "breadcrumb",
    "breadcrumbs",
    "comment",
    "comments",
    "consent",
    "cookie",
    "cookies",
    "disqus",
    "excerpt",
    "footer",
    "gdpr",
    "menu",
    "nav",
    "navbar",
    "navigation",
    "newsletter",
    "outbrain",
    "popular",
    "promo",
    "recommended",
    "related",
    "share",
    "sharing",
    "social",
    "subscribe",
    "taboola",
    "teaser",
    "trending",
];

/// Words that mark boilerplate unless a content word is there too ("article-tags" is not).
const WEAK_BOILERPLATE_WORDS: &[&str] = &[
    "ad",
    "ads",
    "banner",
    "byline",
    "caption",
    "credit",
    "gallery",
    "image",
    "masthead",
    "noscript",
    "pagination",
    "pager",
    "photo",
    "popup",
    "sidebar",
    "sponsor",
    "sponsored",
    "subscription",
    "tags",
    "toolbar",
];

/// Words in `class` and `id` that mark the main content.
const CONTENT_WORDS: &[&str] = &[
    "article",
    "articlebody",
    "body",
    "content",
    "entry",
    "main",
    "post",
    "story",
    "text",
];

/// "article" then "body", and the like: the article's own text, not a teaser of it.
fn is_strong_content(first: &str, second: &str) -> bool {
    matches!(
        first,
        "article" | "entry" | "post" | "story" | "main" | "page" | "news" | "blog"
    ) && matches!(second, "body" | "content" | "text")
}

fn classify(doc: &Document, id: NodeId) -> Class {
    let el = doc.get(id);
    if matches!(el.tag(), Tag::Body | Tag::Html) {
        // WordPress and others class the body by the kind of page ("single-post").
        return Class::Neutral;
    }
    let (mut weak_boiler, mut content, mut strong) = (false, false, false);
    for (name, value) in el.attrs() {
        match name {
            "role" => match value.to_ascii_lowercase().as_str() {
                "navigation" | "banner" | "contentinfo" | "complementary" | "search" | "menu"
                | "menubar" | "dialog" | "alertdialog" | "tablist" => return Class::Boilerplate,
                "main" | "article" => strong = true,
                _ => {}
            },
            "itemprop" => strong |= value.eq_ignore_ascii_case("articleBody"),
            // Past a length no one writes by hand, a value is not a list of names.
            "class" | "id" if value.len() <= 1000 => {
                let mut previous = String::new();
                for word in words(value) {
                    if BOILERPLATE_WORDS.contains(&word.as_str()) {
                        return Class::Boilerplate;
                    }
                    weak_boiler |= WEAK_BOILERPLATE_WORDS.contains(&word.as_str());
                    content |= CONTENT_WORDS.contains(&word.as_str());
                    strong |= is_strong_content(&previous, &word)
                        || matches!(
                            word.as_str(),
                            "articlebody"
                                | "articletext"
                                | "articlecontent"
                                | "storybody"
                                | "storytext"
                                | "postbody"
                                | "postcontent"
                                | "entrycontent"
                                | "maincontent"
                                | "bodytext"
                        );
                    previous = word;
                }
            }
            _ => {}
        }
    }
    if strong || matches!(el.tag(), Tag::Article | Tag::Main) {
        return Class::StrongContent;
    }
    match el.tag() {
        Tag::Nav
        | Tag::Footer
        | Tag::Aside
        | Tag::Header
        | Tag::Menu
        | Tag::Form
        | Tag::Figure
        | Tag::Figcaption => Class::Boilerplate,
        _ => match (weak_boiler, content) {
            (true, false) => Class::WeakBoilerplate,
            (false, true) => Class::Content,
            _ => Class::Neutral,
        },
    }
}

/// The words of a class or id value: split on anything not a letter or digit, and where
/// camelCase changes case, lower case.
fn words(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .flat_map(|w| {
            let mut parts = Vec::new();
            let mut start = 0;
            let bytes = w.as_bytes();
            for i in 1..bytes.len() {
                if bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
                    parts.push(w[start..i].to_ascii_lowercase());
                    start = i;
                }
            }
            parts.push(w[start..].to_ascii_lowercase());
            parts
        })
}

/// The analysis of one document.
pub(crate) struct Selection {
    /// Indices of the blocks kept, in order.
    pub(crate) kept: Vec<usize>,
    /// The container chosen, if any.
    pub(crate) container: Option<NodeId>,
    /// Each node's score (for [`super::explain_html`]).
    pub(crate) scores: Vec<f64>,
}

pub(crate) fn select(doc: &Document, blocks: &[Block]) -> Selection {
    let n = doc.nodes.len();
    let classes: Vec<Class> = (0..n)
        .map(|i| match doc.nodes[i].kind {
            NodeKind::Element => classify(doc, NodeId(i as u32)),
            _ => Class::Neutral,
        })
        .collect();
    // Per node: the prose below it (blocks that read like prose, wherever they are), and
    // whether a strong content element is below it.
    let mut prose = vec![0u64; n];
    for b in blocks {
        if value(b, false) > 0.0 {
            prose[b.owner.index()] += u64::from(b.chars);
        }
    }
    let mut content_below = vec![false; n];
    for i in (1..n).rev() {
        let parent = doc.nodes[i].parent as usize;
        prose[parent] += prose[i];
        content_below[parent] |= content_below[i] || classes[i] == Class::StrongContent;
    }
    let total = prose[0];
    // The nearest boilerplate element at or above each node (NONE if none). An element marked
    // as boilerplate that holds a strong content element, or by a weak word that holds most of
    // the page's prose, is a wrapper with a misleading name ("has-sidebar"), not boilerplate.
    let mut boiler_above = vec![NONE; n];
    for i in 1..n {
        let inherited = boiler_above[doc.nodes[i].parent as usize];
        let boiler = match classes[i] {
            Class::Boilerplate => !content_below[i],
            Class::WeakBoilerplate => !content_below[i] && prose[i] * 2 < total,
            _ => false,
        };
        boiler_above[i] = if boiler { i as u32 } else { inherited };
    }

    let article_body = super::json_ld::article_body(doc);
    let matched: Option<Vec<bool>> = article_body
        .as_deref()
        .and_then(|body| match_blocks(body, blocks));
    // An articleBody as long as half the page's prose is the whole article (not a summary):
    // prose it does not have is not the article's.
    let whole_article = article_body
        .as_ref()
        .is_some_and(|body| body.len() as u64 * 2 >= total);

    // Block values, summed into every ancestor by one pass in reverse document order.
    let mut score = vec![0f64; n];
    for (i, b) in blocks.iter().enumerate() {
        let mut v = value(b, boiler_above[b.owner.index()] != NONE);
        match matched.as_ref().map(|m| m[i]) {
            Some(true) => v = v.max(0.0) + 2.0 * b.chars as f64,
            Some(false) if whole_article => v = v.min(0.0),
            _ => {}
        }
        score[b.owner.index()] += v;
    }
    for i in (1..n).rev() {
        let parent = doc.nodes[i].parent as usize;
        score[parent] += score[i];
    }
    let mut best: Option<(f64, usize)> = None;
    for i in 1..n {
        if doc.nodes[i].kind != NodeKind::Element {
            continue;
        }
        // Ties go to the later node: a descendant comes after its ancestors.
        if best.is_none_or(|(s, _)| score[i] >= s) {
            best = Some((score[i], i));
        }
    }
    let container = best.filter(|&(s, _)| s >= MIN_MAIN_CONTENT).map(|(s, i)| {
        // A content element (`<article>`, `itemprop=articleBody`, "entry-content") around the
        // best node that scores not much less holds the rest of the article: short list items
        // and paragraphs that alone do not look like prose.
        let mut chosen = i;
        for a in doc.get(NodeId(i as u32)).ancestors() {
            let j = a.id().index();
            if classes[j] == Class::StrongContent && score[j] >= 0.5 * s {
                chosen = j;
            }
        }
        // And a content element inside the container that has most of its score is where the
        // article is, the rest being teasers or comments that happen to read like prose.
        let inner = (chosen + 1..doc.nodes[chosen].end as usize)
            .filter(|&j| classes[j] == Class::StrongContent && score[j] >= 0.7 * score[chosen])
            .max_by(|&a, &b| score[a].total_cmp(&score[b]).then(a.cmp(&b)));
        NodeId(inner.unwrap_or(chosen) as u32)
    });
    // No main content stands out: all the text outside boilerplate, or failing that all of it.
    let fallback = |scores: Vec<f64>| {
        let mut kept: Vec<usize> = (0..blocks.len())
            .filter(|&i| boiler_above[blocks[i].owner.index()] == NONE)
            .collect();
        if kept.is_empty() {
            kept = (0..blocks.len()).collect();
        }
        Selection {
            kept,
            container: None,
            scores,
        }
    };
    let Some(container) = container else {
        return fallback(score);
    };
    let range = doc.get(container).subtree();
    let kept: Vec<usize> = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| range.contains(&b.owner.index()))
        .filter(|(_, b)| {
            let boiler = boiler_above[b.owner.index()];
            boiler == NONE || (boiler as usize) < range.start
        })
        .filter(|(_, b)| !is_link_list(b) && !is_boilerplate_text(&b.text))
        .map(|(i, _)| i)
        .collect();
    if kept.is_empty() {
        return fallback(score);
    }
    let kept = without_dangling_headings(blocks, kept);
    Selection {
        kept,
        container: Some(container),
        scores: score,
    }
}

/// Headings that head nothing: the last block, or followed by a heading of the same or a
/// higher level ("Related articles" whose links were left out, then "Tags").
fn without_dangling_headings(blocks: &[Block], kept: Vec<usize>) -> Vec<usize> {
    let level = |i: usize| match blocks[i].kind {
        BlockKind::Heading(level) => Some(level),
        _ => None,
    };
    let mut out: Vec<usize> = Vec::with_capacity(kept.len());
    // From the end, so that a heading is judged by what remains after it.
    for &i in kept.iter().rev() {
        if let Some(this) = level(i) {
            let next = out.last().map(|&j| level(j));
            let dangling = match next {
                None => true,
                Some(Some(next)) => next <= this,
                Some(None) => false,
            };
            if dangling {
                continue;
            }
        }
        out.push(i);
    }
    out.reverse();
    out
}

/// A block this long (in bytes of text) with few links reads as prose, whatever it ends with.
const PROSE_BYTES: f64 = 80.0;

/// Less prose than this (in bytes) does not make a page's main content stand out: a short
/// page gives all its text.
const MIN_MAIN_CONTENT: f64 = 100.0;

fn link_density(b: &Block) -> f64 {
    if b.chars == 0 {
        0.0
    } else {
        b.link_chars as f64 / b.chars as f64
    }
}

fn is_link_list(b: &Block) -> bool {
    link_density(b) > 0.5
}

/// A block that is only a label of the page's furniture ("Advertisement", "Share this").
fn is_boilerplate_text(text: &str) -> bool {
    if text.len() > 40 {
        return false;
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    matches!(
        words.join(" ").as_str(),
        "advertisement"
            | "advert"
            | "ad"
            | "ads"
            | "sponsored"
            | "sponsored content"
            | "share"
            | "share this"
            | "share this article"
            | "share this story"
            | "read more"
            | "continue reading"
            | "comments"
            | "loading"
    )
}

/// How much a block says "this is the article" (positive) or "this is around it" (negative).
fn value(b: &Block, in_boilerplate: bool) -> f64 {
    let chars = b.chars as f64;
    let ld = link_density(b);
    if in_boilerplate || ld > 0.5 {
        return -chars;
    }
    match b.kind {
        BlockKind::Heading(_) => 0.0,
        _ if chars >= PROSE_BYTES => chars * (1.0 - ld),
        // A short sentence without links is likely prose too; a short fragment ("Share",
        // "October 5, 2018", "Posted by") is likely not.
        _ if ld == 0.0 && ends_sentence(&b.text) => chars * 0.5,
        _ => -chars * 0.2,
    }
}

fn ends_sentence(text: &str) -> bool {
    let last = text
        .trim_end_matches(|c: char| c.is_whitespace() || "\"'’”»)".contains(c))
        .chars()
        .next_back();
    matches!(last, Some('.' | '!' | '?' | '。' | '！' | '？'))
}

/// Which blocks' text is in the JSON-LD `articleBody`; none if too little of it is found in the
/// page for the match to mean anything. Texts are compared as runs of words of letters and
/// digits, lower case (publishers' JSON often has straight quotes where the page has curly
/// ones, and other spacing): a block is in the body when most of its first word 4-grams are.
/// Hashing the 4-grams keeps this linear in the page, whatever its size.
fn match_blocks(body: &str, blocks: &[Block]) -> Option<Vec<bool>> {
    let body_grams = gram_hashes(body, usize::MAX);
    if body_grams.len() < 30 {
        return None;
    }
    let index: std::collections::HashSet<u64> = body_grams.iter().copied().collect();
    let mut found = 0usize;
    let matched: Vec<bool> = blocks
        .iter()
        .map(|b| {
            let grams = gram_hashes(&b.text, 12);
            let hits = grams.iter().filter(|g| index.contains(g)).count();
            let hit = !grams.is_empty() && hits * 2 > grams.len();
            if hit {
                found += gram_hashes(&b.text, usize::MAX).len();
            }
            hit
        })
        .collect();
    (found * 3 >= body_grams.len()).then_some(matched)
}

/// Hashes (FNV-1a) of the first `limit` word 4-grams of a text, words being runs of letters
/// and digits, lower case.
fn gram_hashes(text: &str, limit: usize) -> Vec<u64> {
    let mut words: Vec<u64> = Vec::new();
    let mut grams = Vec::new();
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut in_word = false;
    let push_word = |words: &mut Vec<u64>, grams: &mut Vec<u64>, hash: u64| {
        words.push(hash);
        if words.len() >= 4 {
            let w = &words[words.len() - 4..];
            grams.push(w[0] ^ w[1].rotate_left(16) ^ w[2].rotate_left(32) ^ w[3].rotate_left(48));
        }
    };
    for c in text.chars() {
        if grams.len() >= limit {
            return grams;
        }
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                let mut buf = [0u8; 4];
                for &byte in l.encode_utf8(&mut buf).as_bytes() {
                    hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
                }
            }
            in_word = true;
        } else if in_word {
            push_word(&mut words, &mut grams, hash);
            hash = 0xcbf2_9ce4_8422_2325;
            in_word = false;
        }
    }
    if in_word && grams.len() < limit {
        push_word(&mut words, &mut grams, hash);
    }
    grams
}
