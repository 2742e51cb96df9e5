//! The tree builder's rules, one by one.

use super::dom::{Document, NodeRef, Tag};

/// The tree as nested names, e.g. `html(head body(p("a") p("b")))`.
fn shape(html: &str) -> String {
    let doc = Document::parse(html);
    let mut out = String::new();
    // Iterative: each node's subtree end tells when to close its parenthesis.
    let mut open: Vec<usize> = Vec::new();
    for node in doc.nodes().skip(1) {
        while let Some(&end) = open.last() {
            if node.id().index() < end {
                break;
            }
            open.pop();
            out.push(')');
        }
        if !out.is_empty() && !out.ends_with('(') {
            out.push(' ');
        }
        describe(&node, &mut out);
        if node.first_child().is_some() {
            out.push('(');
            open.push(node.subtree().end);
        }
    }
    for _ in open {
        out.push(')');
    }
    out
}

fn describe(node: &NodeRef<'_>, out: &mut String) {
    match node.text() {
        Some(text) => out.push_str(&format!("{text:?}")),
        None => out.push_str(node.name()),
    }
}

#[test]
fn implied_html_head_and_body() {
    assert_eq!(
        shape("<title>T</title><p>x"),
        r#"html(head(title("T")) body(p("x")))"#
    );
    assert_eq!(shape("text"), r#"html(body("text"))"#);
    // Head content after </head> still goes to the head; body content closes it.
    assert_eq!(
        shape("<head></head><meta charset=utf-8><div>x</div>"),
        r#"html(head(meta) body(div("x")))"#
    );
    // Content after </body> and </html> stays in the body.
    assert_eq!(
        shape("<body><p>a</p></body></html><p>b"),
        r#"html(body(p("a") p("b")))"#
    );
}

#[test]
fn implicit_ends() {
    assert_eq!(
        shape("<body><p>a<p>b<div>c</div>"),
        r#"html(body(p("a") p("b") div("c")))"#
    );
    assert_eq!(
        shape("<body><ul><li>a<li>b<ul><li>c</ul><li>d</ul>"),
        r#"html(body(ul(li("a") li("b" ul(li("c"))) li("d"))))"#
    );
    assert_eq!(
        shape("<body><dl><dt>a<dd>b<dt>c</dl>"),
        r#"html(body(dl(dt("a") dd("b") dt("c"))))"#
    );
    assert_eq!(
        shape("<body><table><tr><td>a<td>b<tr><th>c</table>"),
        r#"html(body(table(tr(td("a") td("b")) tr(th("c")))))"#
    );
    assert_eq!(
        shape("<body><select><option>a<option>b</select>"),
        r#"html(body(select(option("a") option("b"))))"#
    );
    assert_eq!(
        shape("<body><h1>a<h2>b</h2>"),
        r#"html(body(h1("a") h2("b")))"#
    );
    assert_eq!(
        shape("<body><a href=1>a<a href=2>b"),
        r#"html(body(a("a") a("b")))"#
    );
    // A <p> inside a button or table cell is not closed from outside it.
    assert_eq!(
        shape("<body><p>a<table><tr><td>b<p>c</table>"),
        r#"html(body(p("a") table(tr(td("b" p("c"))))))"#
    );
}

#[test]
fn end_tags_close_within_their_scope() {
    // A stray end tag is ignored; an inline end tag does not close past a block.
    assert_eq!(
        shape("<body></div><p>a</span>b</p>"),
        r#"html(body(p("ab")))"#
    );
    assert_eq!(
        shape("<body><b><div>x</b>y</div>"),
        r#"html(body(b(div("xy"))))"#
    );
    assert_eq!(
        shape("<body><div><span>x</div>y"),
        r#"html(body(div(span("x")) "y"))"#
    );
    assert_eq!(shape("<body>a</br>b"), r#"html(body("a" br "b"))"#);
}

#[test]
fn raw_text_and_void_elements() {
    assert_eq!(
        shape("<body><script>if (a < b) { x = '</div>'; }</script><p>t"),
        r#"html(body(script("if (a < b) { x = '</div>'; }") p("t")))"#
    );
    assert_eq!(
        shape("<body><textarea><b>not bold</b></textarea><style>p>a{}</style>"),
        r#"html(body(textarea("<b>not bold</b>") style("p>a{}")))"#
    );
    assert_eq!(
        shape("<body><p>a<br>b<img src=x>c<hr>d"),
        r#"html(body(p("a" br "b" img "c") hr "d"))"#
    );
    assert_eq!(
        shape("<title>a &amp; <b></title>"),
        r#"html(head(title("a & <b>")))"#
    );
}

#[test]
fn svg_self_closing_and_breaking_out() {
    assert_eq!(
        shape("<body><svg><path/><g><title>t</title></g></svg><p>x"),
        r#"html(body(svg(path g(title("t"))) p("x")))"#
    );
    // An HTML element inside an unclosed <svg> ends it.
    assert_eq!(shape("<body><svg><g><p>x"), r#"html(body(svg(g) p("x")))"#);
}

#[test]
fn attributes_and_text() {
    let doc = Document::parse(
        "<div CLASS='a &amp; b' data-x=1 hidden class=dup><!-- c -->x<!-- d -->y</div>",
    );
    let div = doc.elements().find(|e| e.tag() == Tag::Div).unwrap();
    assert_eq!(
        div.attr("class"),
        Some("a & b"),
        "first of repeated attributes"
    );
    assert_eq!(div.attr("data-x"), Some("1"));
    assert_eq!(div.attr("hidden"), Some(""));
    assert_eq!(div.attr("missing"), None);
    // Text either side of a comment is one text node.
    assert_eq!(div.children().count(), 1);
    assert_eq!(div.text_content(), "xy");
    let custom = Document::parse("<my-widget a=b>z</my-widget>");
    let el = custom.elements().find(|e| e.name() == "my-widget").unwrap();
    assert_eq!((el.tag(), el.attr("a")), (Tag::Other, Some("b")));
}

#[test]
fn subtrees_are_ranges() {
    let doc = Document::parse("<body><div><p>a<b>b</b></p><p>c</p></div><p>d");
    for node in doc.nodes() {
        let by_walk: Vec<usize> = std::iter::successors(node.first_child(), |n| n.next_sibling())
            .flat_map(|c| c.descendants().map(|d| d.id().index()).collect::<Vec<_>>())
            .collect();
        let by_range: Vec<usize> = node.subtree().skip(1).collect();
        assert_eq!(by_walk, by_range, "{node:?}");
        for d in node.descendants().skip(1) {
            assert!(d.ancestors().any(|a| a == node));
        }
    }
}
