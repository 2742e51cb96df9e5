//! From html5gum's tokens to a [`Document`]: the part of HTML tree construction that changes
//! the text a reader sees.
//!
//! Kept from the WHATWG algorithm: the implied `<html>`, `<head>` and `<body>` (head content
//! goes to the head until body content begins); void elements; start tags that close an open
//! `<p>` (in button scope), `<li>`, `<dd>`/`<dt>`, `<option>`, a heading inside a heading, a
//! cell or row inside a row, a nested `<a>` or `<button>`; end tags closing what they match
//! within their scope and being ignored otherwise; `</br>` as `<br>`; `<svg>` and `<math>`
//! whose self-closing tags count and which HTML elements break out of. Raw-text elements
//! (`script`, `style`, `textarea`, `title`, `noscript`, `iframe`, `xmp`, `plaintext`, …) are
//! handled by the tokenizer, switched by tag name. Left out, as they move text without changing
//! it: the adoption agency for misnested formatting, foster parenting out of tables, and
//! `<table>` implying `<tbody>`.
//!
//! The stack of open elements holds at most [`MAX_DEPTH`] elements: past that an element is
//! added to the deepest open one without being opened, and the end tags that follow close
//! those first. Every scope scan is thus bounded, and parsing stays linear.

use super::dom::{Attr, Document, Node, NodeKind, Tag, MAX_DEPTH, NONE};
use super::tags::{breaks_out_of_foreign, closes_p, is_head_content, is_special};
use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
use html5gum::{Emitter, ForwardingEmitter, Span, Tokenizer};
use std::convert::Infallible;

pub(crate) fn build(html: &str) -> Document {
    let mut builder = TreeBuilder::new(html.len());
    {
        let mut emitter = CallbackEmitter::new(
            |event: CallbackEvent<'_>, _: Span<()>| -> Option<Infallible> {
                builder.event(event);
                None
            },
        );
        emitter.naively_switch_states(true);
        // The string reader cannot fail, and the callback yields no tokens.
        for _ in Tokenizer::new_with_emitter(html, Quiet(emitter)) {}
    }
    builder.finish()
}

/// html5gum's emitter with its parse errors switched off. The tree builder ignores them, and
/// finding them means checking every byte of the page for control characters and
/// noncharacters: about a ninth of curation's time on `bench_curate.sh`'s archive (perf).
struct Quiet<E>(E);

impl<E: Emitter> ForwardingEmitter for Quiet<E> {
    type Token = E::Token;

    fn inner(&mut self) -> &mut impl Emitter<Token = Self::Token> {
        &mut self.0
    }

    fn should_emit_errors(&mut self) -> bool {
        false
    }
}

struct TreeBuilder {
    doc: Document,
    /// Open elements, outermost first.
    stack: Vec<u32>,
    /// Elements added past [`MAX_DEPTH`] and not yet closed by an end tag.
    excess: usize,
    /// How many elements of each tag are open (indexed by `Tag as usize`): a scope scan for
    /// a tag none of which is open ends before it begins.
    open_tags: Vec<u32>,
    html: Option<u32>,
    head: Option<u32>,
    body: Option<u32>,
    /// The start tag being read: its tag, name (unknown tags) and first attribute.
    pending: Option<(Tag, (u32, u32), usize)>,
}

fn as_str(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Where a scope scan stops (the "has an element in scope" boundaries).
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    Default,
    Button,
    ListItem,
    Table,
}

fn is_scope_boundary(tag: Tag, scope: Scope) -> bool {
    use Tag::*;
    match scope {
        Scope::Table => matches!(tag, Html | Table | Template),
        _ => {
            matches!(
                tag,
                Applet
                    | Caption
                    | Html
                    | Table
                    | Td
                    | Th
                    | Marquee
                    | Object
                    | Template
                    | Svg
                    | Math
            ) || (scope == Scope::Button && tag == Button)
                || (scope == Scope::ListItem && matches!(tag, Ol | Ul))
        }
    }
}

impl TreeBuilder {
    fn new(input_len: usize) -> TreeBuilder {
        let root = Node::unlinked(NodeKind::Document, Tag::Other, (0, 0), (0, 0));
        let mut nodes = Vec::with_capacity(input_len / 40 + 16);
        nodes.push(root);
        TreeBuilder {
            doc: Document {
                nodes,
                attrs: Vec::new(),
                text: String::with_capacity(input_len / 2),
                strings: String::new(),
            },
            stack: Vec::new(),
            excess: 0,
            open_tags: vec![0; Tag::Other as usize + 1],
            html: None,
            head: None,
            body: None,
            pending: None,
        }
    }

    fn finish(mut self) -> Document {
        // One past each subtree: children have higher numbers than their parent, so a pass in
        // reverse order sees a node's last child before the node.
        let nodes = &mut self.doc.nodes;
        for i in (0..nodes.len()).rev() {
            let last = nodes[i].last_child;
            nodes[i].end = if last == NONE {
                i as u32 + 1
            } else {
                nodes[last as usize].end
            };
        }
        self.doc
    }

    fn event(&mut self, event: CallbackEvent<'_>) {
        match event {
            CallbackEvent::OpenStartTag { name } => {
                // A start tag cut short by the end of input never closes; drop its attributes.
                if let Some((_, _, first)) = self.pending.take() {
                    self.doc.attrs.truncate(first);
                }
                let tag = Tag::from_name(name);
                let span = if tag == Tag::Other {
                    self.push_string(name)
                } else {
                    (0, 0)
                };
                self.pending = Some((tag, span, self.doc.attrs.len()));
            }
            CallbackEvent::AttributeName { name } if self.pending.is_some() => {
                let name = self.push_string(name);
                let end = self.doc.strings.len() as u32;
                self.doc.attrs.push(Attr {
                    name,
                    value: (end, end),
                });
            }
            CallbackEvent::AttributeValue { value } if self.pending.is_some() => {
                let value = self.push_string(value);
                if let Some(attr) = self.doc.attrs.last_mut() {
                    attr.value = value;
                }
            }
            CallbackEvent::CloseStartTag { self_closing } => {
                if let Some((tag, span, first)) = self.pending.take() {
                    self.start_tag(tag, span, first, self_closing);
                }
            }
            CallbackEvent::EndTag { name } => {
                if let Some((_, _, first)) = self.pending.take() {
                    self.doc.attrs.truncate(first);
                }
                self.end_tag(Tag::from_name(name), name);
            }
            CallbackEvent::String { value } => self.characters(value),
            _ => {}
        }
    }

    fn push_string(&mut self, bytes: &[u8]) -> (u32, u32) {
        let start = self.doc.strings.len() as u32;
        self.doc.strings.push_str(&as_str(bytes));
        (start, self.doc.strings.len() as u32)
    }

    fn top(&self) -> u32 {
        self.stack.last().copied().unwrap_or(0)
    }

    fn tag_of(&self, id: u32) -> Tag {
        self.doc.nodes[id as usize].tag
    }

    fn name_of(&self, id: u32) -> &str {
        let node = &self.doc.nodes[id as usize];
        if node.tag == Tag::Other {
            &self.doc.strings[node.span.0 as usize..node.span.1 as usize]
        } else {
            node.tag.as_str()
        }
    }

    /// Adds a node as the last child of the current node.
    fn append(&mut self, mut node: Node) -> u32 {
        let parent = self.top();
        let id = self.doc.nodes.len() as u32;
        node.parent = parent;
        let p = &mut self.doc.nodes[parent as usize];
        let prev = p.last_child;
        p.last_child = id;
        if prev == NONE {
            p.first_child = id;
        } else {
            self.doc.nodes[prev as usize].next_sibling = id;
        }
        self.doc.nodes.push(node);
        id
    }

    /// Adds an element and, unless it is void (or self-closed in foreign content), opens it.
    fn insert(&mut self, tag: Tag, span: (u32, u32), first_attr: usize, self_closed: bool) -> u32 {
        let attrs = (first_attr as u32, self.doc.attrs.len() as u32);
        let node = Node::unlinked(NodeKind::Element, tag, span, attrs);
        let id = self.append(node);
        if !(tag.is_void() || self_closed) {
            if self.stack.len() < MAX_DEPTH {
                self.stack.push(id);
                self.open_tags[tag as usize] += 1;
            } else {
                self.excess += 1;
            }
        }
        id
    }

    /// A synthetic element (implied `<html>`, `<head>`, `<body>`), opened.
    fn insert_implied(&mut self, tag: Tag) -> u32 {
        let first = self.doc.attrs.len();
        self.insert(tag, (0, 0), first, false)
    }

    fn ensure_html(&mut self) {
        if self.html.is_none() {
            self.stack.clear();
            self.html = Some(self.insert_implied(Tag::Html));
        }
    }

    /// Body content begins: close the head and open the body if not yet done.
    fn ensure_body(&mut self) {
        if self.body.is_some() {
            return;
        }
        self.ensure_html();
        if let Some(head) = self.head {
            if let Some(pos) = self.stack.iter().position(|&id| id == head) {
                self.truncate(pos);
            }
        }
        self.body = Some(self.insert_implied(Tag::Body));
    }

    /// Makes the head the current node, for head content before the body.
    fn ensure_head(&mut self) {
        self.ensure_html();
        match self.head {
            Some(head) => {
                if !self.stack.contains(&head) {
                    self.truncate(1);
                    self.stack.push(head);
                    self.open_tags[Tag::Head as usize] += 1;
                }
            }
            None => self.head = Some(self.insert_implied(Tag::Head)),
        }
    }

    /// Closes the open elements from position `len` on.
    fn truncate(&mut self, len: usize) {
        for i in len..self.stack.len() {
            let tag = self.doc.nodes[self.stack[i] as usize].tag;
            self.open_tags[tag as usize] -= 1;
        }
        self.stack.truncate(len);
    }

    fn is_open(&self, tag: Tag) -> bool {
        self.open_tags[tag as usize] > 0
    }

    fn in_foreign(&self) -> Option<usize> {
        if !(self.is_open(Tag::Svg) || self.is_open(Tag::Math)) {
            return None;
        }
        self.stack
            .iter()
            .rposition(|&id| matches!(self.tag_of(id), Tag::Svg | Tag::Math))
    }

    /// The position on the stack of the nearest open element with one of `tags`, unless a
    /// scope boundary comes first.
    fn in_scope(&self, scope: Scope, tags: &[Tag]) -> Option<usize> {
        if !tags.iter().any(|&t| self.is_open(t)) {
            return None;
        }
        for pos in (0..self.stack.len()).rev() {
            let tag = self.tag_of(self.stack[pos]);
            if tags.contains(&tag) {
                return Some(pos);
            }
            if is_scope_boundary(tag, scope) {
                return None;
            }
        }
        None
    }

    /// Closes the element at `pos` on the stack and everything opened inside it.
    fn pop_through(&mut self, pos: usize) {
        // The body and html elements stay open whatever the markup says.
        let keep = self
            .stack
            .iter()
            .take_while(|&&id| matches!(self.tag_of(id), Tag::Html | Tag::Body))
            .count();
        self.truncate(pos.max(keep));
        self.excess = 0;
    }

    fn close_p(&mut self) {
        if let Some(pos) = self.in_scope(Scope::Button, &[Tag::P]) {
            self.pop_through(pos);
        }
    }

    fn close_cell(&mut self) {
        if let Some(pos) = self.in_scope(Scope::Table, &[Tag::Td, Tag::Th]) {
            self.pop_through(pos);
        }
    }

    fn start_tag(&mut self, tag: Tag, span: (u32, u32), first_attr: usize, self_closing: bool) {
        use Tag::*;
        let attrs_end = self.doc.attrs.len();
        match tag {
            Html => {
                if self.html.is_none() {
                    self.stack.clear();
                    self.html = Some(self.insert(tag, span, first_attr, false));
                }
                return;
            }
            Head => {
                if self.head.is_none() && self.body.is_none() {
                    self.ensure_html();
                    self.head = Some(self.insert(tag, span, first_attr, false));
                }
                return;
            }
            Body => {
                if self.body.is_none() {
                    self.ensure_html();
                    if let Some(head) = self.head {
                        if let Some(pos) = self.stack.iter().position(|&id| id == head) {
                            self.truncate(pos);
                        }
                    }
                    self.body = Some(self.insert(tag, span, first_attr, false));
                }
                return;
            }
            _ => {}
        }
        if self.body.is_none() && is_head_content(tag) {
            self.ensure_head();
            self.insert(tag, span, first_attr, false);
            return;
        }
        self.ensure_body();
        if let Some(root) = self.in_foreign() {
            if breaks_out_of_foreign(tag) {
                self.pop_through(root);
            } else {
                self.insert(tag, span, first_attr, self_closing);
                return;
            }
        }
        if closes_p(tag) {
            self.close_p();
        }
        match tag {
            H1 | H2 | H3 | H4 | H5 | H6 => {
                if self.tag_of(self.top()).is_heading() {
                    self.truncate(self.stack.len() - 1);
                }
            }
            Li | Dd | Dt => {
                let same = |t: Tag| match tag {
                    Li => t == Li,
                    _ => matches!(t, Dd | Dt),
                };
                let any_open = match tag {
                    Li => self.is_open(Li),
                    _ => self.is_open(Dd) || self.is_open(Dt),
                };
                for pos in (0..self.stack.len() * usize::from(any_open)).rev() {
                    let t = self.tag_of(self.stack[pos]);
                    if same(t) {
                        self.pop_through(pos);
                        break;
                    }
                    if is_special(t) && !matches!(t, Address | Div | P) {
                        break;
                    }
                }
            }
            Button => {
                if let Some(pos) = self.in_scope(Scope::Default, &[Button]) {
                    self.pop_through(pos);
                }
            }
            A => {
                if let Some(pos) = self.in_scope(Scope::Default, &[A]) {
                    self.pop_through(pos);
                }
            }
            Option => {
                if self.tag_of(self.top()) == Option {
                    self.truncate(self.stack.len() - 1);
                }
            }
            Optgroup => {
                if self.tag_of(self.top()) == Option {
                    self.truncate(self.stack.len() - 1);
                }
                if self.tag_of(self.top()) == Optgroup {
                    self.truncate(self.stack.len() - 1);
                }
            }
            Td | Th => self.close_cell(),
            Tr => {
                self.close_cell();
                if let Some(pos) = self.in_scope(Scope::Table, &[Tr]) {
                    self.pop_through(pos);
                }
            }
            Tbody | Thead | Tfoot => {
                self.close_cell();
                if let Some(pos) = self.in_scope(Scope::Table, &[Tr, Tbody, Thead, Tfoot]) {
                    self.pop_through(pos);
                }
            }
            _ => {}
        }
        debug_assert_eq!(attrs_end, self.doc.attrs.len());
        self.insert(tag, span, first_attr, false);
    }

    fn end_tag(&mut self, tag: Tag, name: &[u8]) {
        use Tag::*;
        if matches!(tag, Html | Body) {
            return;
        }
        if tag == Br {
            let first = self.doc.attrs.len();
            self.start_tag(Br, (0, 0), first, false);
            return;
        }
        if self.excess > 0 {
            self.excess -= 1;
            return;
        }
        if let Some(root) = self.in_foreign() {
            // Inside svg or math: close the nearest element of that name up to the root.
            let name = as_str(name);
            if let Some(pos) = (root..self.stack.len())
                .rev()
                .find(|&pos| self.name_of(self.stack[pos]).eq_ignore_ascii_case(&name))
            {
                self.pop_through(pos);
                return;
            }
        }
        let found = match tag {
            P => self.in_scope(Scope::Button, &[P]),
            Li => self.in_scope(Scope::ListItem, &[Li]),
            H1 | H2 | H3 | H4 | H5 | H6 => self.in_scope(Scope::Default, &[H1, H2, H3, H4, H5, H6]),
            Td | Th | Tr | Tbody | Thead | Tfoot | Table | Caption | Colgroup => {
                self.in_scope(Scope::Table, &[tag])
            }
            Head => self
                .head
                .and_then(|h| self.stack.iter().position(|&id| id == h)),
            Other if self.is_open(Other) => {
                let name = as_str(name);
                self.find_inline(|b, id| b.tag_of(id) == Other && b.name_of(id) == name.as_ref())
            }
            _ if is_special(tag) => self.in_scope(Scope::Default, &[tag]),
            _ if self.is_open(tag) => self.find_inline(|b, id| b.tag_of(id) == tag),
            _ => None,
        };
        if let Some(pos) = found {
            self.pop_through(pos);
        }
    }

    /// For the end tag of an inline or unknown element: the nearest open element it names,
    /// unless a special element comes first.
    fn find_inline(&self, names: impl Fn(&TreeBuilder, u32) -> bool) -> Option<usize> {
        for (pos, &id) in self.stack.iter().enumerate().rev() {
            if names(self, id) {
                return Some(pos);
            }
            if is_special(self.tag_of(id)) {
                return None;
            }
        }
        None
    }

    fn characters(&mut self, bytes: &[u8]) {
        let text = as_str(bytes);
        let top_tag = self.tag_of(self.top());
        let in_head_or_before = self.body.is_none()
            && (self.stack.is_empty() || matches!(top_tag, Tag::Html | Tag::Head));
        if in_head_or_before {
            if text.bytes().all(|b| b.is_ascii_whitespace()) {
                return;
            }
            self.ensure_body();
        }
        let parent = self.top();
        let last = self.doc.nodes[parent as usize].last_child;
        let start = self.doc.text.len() as u32;
        self.doc.text.push_str(&text);
        let end = self.doc.text.len() as u32;
        // Text next to text (a comment between them, say) joins it.
        if last != NONE {
            let node = &mut self.doc.nodes[last as usize];
            if node.kind == NodeKind::Text && node.span.1 == start {
                node.span.1 = end;
                return;
            }
        }
        self.append(Node::unlinked(
            NodeKind::Text,
            Tag::Other,
            (start, end),
            (0, 0),
        ));
    }
}
