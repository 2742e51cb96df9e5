//! Hostile input: each must end quickly with text or nothing, within a small stack, and the
//! tree must stay within its depth bound.

use super::dom::{Document, NodeKind, Tag, MAX_DEPTH};
use super::extract_html;
use std::time::{Duration, Instant};

/// Runs `f` on a thread with a small stack (a recursive walk over a deep tree would overflow
/// it), and checks that it ends within `limit` (generous: a debug build on a busy machine).
fn bounded<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let start = Instant::now();
    let out = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
    let took = start.elapsed();
    eprintln!("bounded: {took:?}");
    assert!(took < limit, "took {took:?}");
    out
}

/// The depth of the deepest node, found without recursion.
fn depth(doc: &Document) -> usize {
    let mut depths = vec![0usize; doc.len()];
    let mut deepest = 0;
    for node in doc.nodes().skip(1) {
        let d = depths[node.parent().unwrap().id().index()] + 1;
        depths[node.id().index()] = d;
        deepest = deepest.max(d);
    }
    deepest
}

#[test]
fn a_hundred_thousand_nested_divs() {
    let n = 100_000;
    let html = format!(
        "<title>Deep</title><body>{}deep text{}<p>after</p>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    let (text, deepest, elements) = bounded(Duration::from_secs(5), move || {
        let doc = Document::parse(&html);
        let deepest = depth(&doc);
        let elements = doc.elements().count();
        (extract_html(&html).text, deepest, elements)
    });
    // Every div is there; past the bound they hang flat from the deepest one allowed.
    assert!(elements > n, "{elements} elements");
    assert!(deepest <= MAX_DEPTH + 2, "depth {deepest}");
    assert_eq!(text, "Deep\n\ndeep text\n\nafter");
}

#[test]
fn deep_nesting_of_every_kind() {
    // Elements with their own closing rules, nested without end tags.
    for open in [
        "<span>",
        "<li>",
        "<ul>",
        "<table>",
        "<td>",
        "<a>",
        "<b><i>",
        "<p><div>",
        "<svg>",
        "<blockquote>",
        "<select>",
        "<q>",
    ] {
        let html = format!("<body>{}text", open.repeat(50_000));
        let (text, deepest) = bounded(Duration::from_secs(5), move || {
            let doc = Document::parse(&html);
            (extract_html(&html).text, depth(&doc))
        });
        assert!(deepest <= MAX_DEPTH + 2, "{open}: depth {deepest}");
        // Text inside elements a reader does not see (svg, select) is not text.
        if !matches!(open, "<svg>" | "<select>") {
            assert_eq!(text, "text", "{open}");
        }
    }
}

#[test]
fn a_twenty_megabyte_attribute() {
    let value = "x".repeat(20 << 20);
    let html = format!("<p>before</p><div class=\"{value}\">inside</div><p>after</p>");
    let (text, class_len) = bounded(Duration::from_secs(5), move || {
        let doc = Document::parse(&html);
        let class_len = doc
            .elements()
            .find(|e| e.tag() == Tag::Div)
            .and_then(|d| d.attr("class").map(str::len));
        (extract_html(&html).text, class_len)
    });
    assert_eq!(class_len, Some(20 << 20));
    assert_eq!(text, "before\n\ninside\n\nafter");
    // An attribute that never ends: the tag is cut off by the end of input, no text.
    let unterminated = format!("<p>kept</p><a href=\"{}", "y".repeat(20 << 20));
    let text = bounded(Duration::from_secs(5), move || {
        extract_html(&unterminated).text
    });
    assert_eq!(text, "kept");
}

#[test]
fn a_fifty_megabyte_line_of_text() {
    let words = "lorem ipsum dolor sit amet ".repeat((50 << 20) / 27);
    let html = format!("<html><body><p>{words}</p></body></html>");
    let len = bounded(Duration::from_secs(10), move || {
        extract_html(&html).text.len()
    });
    assert_eq!(len, words.trim_end().len());
}

#[test]
fn binary_junk() {
    // Bytes from a fixed pseudo-random sequence, decoded as a browser would (replacement
    // characters), plus junk that is mostly markup characters.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut bytes = Vec::with_capacity(4 << 20);
    for _ in 0..(4 << 20) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.push((state >> 56) as u8);
    }
    let junk = String::from_utf8_lossy(&bytes).into_owned();
    let markup: String = bytes
        .iter()
        .map(|b| b"<>/=\"' !-&;#abpdivtrlx\n"[*b as usize % 23] as char)
        .collect();
    for html in [junk, markup] {
        let html2 = html.clone();
        bounded(Duration::from_secs(10), move || {
            let doc = Document::parse(&html2);
            // The tree is consistent: every node's subtree lies within its parent's.
            for node in doc.nodes().skip(1) {
                let parent = node.parent().unwrap();
                assert!(parent.subtree().start < node.subtree().start);
                assert!(node.subtree().end <= parent.subtree().end);
                if node.kind() == NodeKind::Text {
                    assert!(node.first_child().is_none());
                }
            }
            assert!(depth(&doc) <= MAX_DEPTH + 2);
            extract_html(&html2)
        });
    }
}

#[test]
fn many_unclosed_formatting_and_table_elements() {
    let html = format!(
        "<body>{}<p>text</p>",
        "<table><tr><td><a href=x><b>".repeat(20_000)
    );
    let text = bounded(Duration::from_secs(5), move || extract_html(&html).text);
    assert_eq!(text, "text");
}
