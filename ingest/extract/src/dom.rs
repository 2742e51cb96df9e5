//! A small HTML tree: nodes in one arena, in document order.
//!
//! [`Document::parse`] tokenizes with html5gum (a WHATWG tokenizer) and builds the tree with a
//! subset of the HTML tree-construction rules (see `tree_builder.rs`): the implicit ends
//! of `p`, `li`, `dd`/`dt`, table rows and cells, `option`, headings; void elements; raw-text
//! elements (`script`, `style`, `textarea`, `title`, …) whose content is one text node. Comments
//! and doctypes are not kept.
//!
//! Nodes are numbered in document order (pre-order), so the descendants of a node are exactly
//! the nodes numbered from it up to [`NodeRef::subtree_end`]: a subtree is a range, and a pass
//! over the arena in reverse visits every child before its parent. Nothing here recurses, and
//! the tree is at most [`MAX_DEPTH`] levels deep whatever the markup (deeper elements become
//! children of the deepest element allowed).
//!
//! ```
//! use assent_extract::dom::{Document, Tag};
//! let doc = Document::parse("<p class=intro>Hello <a href='/x'>world</a>");
//! let a = doc.elements().find(|e| e.tag() == Tag::A).unwrap();
//! assert_eq!(a.attr("href"), Some("/x"));
//! assert_eq!(a.parent().unwrap().attr("class"), Some("intro"));
//! assert_eq!(doc.root().text_content(), "Hello world");
//! ```

use std::ops::Range;

pub use super::tags::Tag;

/// How deep the tree may go: an element opened deeper than this becomes a child of the deepest
/// element allowed, as do its own children.
pub const MAX_DEPTH: usize = 512;

/// The index of a node in its document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    pub const ROOT: NodeId = NodeId(0);

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

pub(crate) const NONE: u32 = u32::MAX;

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// The document itself (always node 0).
    Document,
    Element,
    Text,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    pub(crate) tag: Tag,
    pub(crate) parent: u32,
    pub(crate) first_child: u32,
    pub(crate) last_child: u32,
    pub(crate) next_sibling: u32,
    /// One past the last node of the subtree (filled in when parsing ends).
    pub(crate) end: u32,
    /// Element: its name (unknown tags) in `names`; text: its bytes in `text`.
    pub(crate) span: (u32, u32),
    /// Element: its attributes, a range of `attrs`.
    pub(crate) attrs: (u32, u32),
}

impl Node {
    /// A node not yet linked into the tree (the tree builder links it when appending it).
    pub(crate) fn unlinked(kind: NodeKind, tag: Tag, span: (u32, u32), attrs: (u32, u32)) -> Node {
        Node {
            kind,
            tag,
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            end: NONE,
            span,
            attrs,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Attr {
    pub(crate) name: (u32, u32),
    pub(crate) value: (u32, u32),
}

/// A parsed HTML document.
#[derive(Clone, Debug)]
pub struct Document {
    pub(crate) nodes: Vec<Node>,
    pub(crate) attrs: Vec<Attr>,
    /// Text of the text nodes, one after another.
    pub(crate) text: String,
    /// Attribute names and values, and the names of elements that are not a known [`Tag`].
    pub(crate) strings: String,
}

fn slice(s: &str, (start, end): (u32, u32)) -> &str {
    &s[start as usize..end as usize]
}

impl Document {
    /// Parses a document. Any input gives a tree; nothing panics.
    pub fn parse(html: &str) -> Document {
        super::tree_builder::build(html)
    }

    /// The document node, parent of everything else.
    pub fn root(&self) -> NodeRef<'_> {
        self.get(NodeId::ROOT)
    }

    pub fn get(&self, id: NodeId) -> NodeRef<'_> {
        debug_assert!(id.index() < self.nodes.len());
        NodeRef { doc: self, id }
    }

    /// How many nodes there are (the document node included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// Every node, in document order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeRef<'_>> + '_ {
        (0..self.nodes.len() as u32).map(move |i| self.get(NodeId(i)))
    }

    /// Every element, in document order.
    pub fn elements(&self) -> impl Iterator<Item = NodeRef<'_>> + '_ {
        self.nodes().filter(|n| n.is_element())
    }

    /// The `<body>` element, if the markup had content for one.
    pub fn body(&self) -> Option<NodeRef<'_>> {
        self.elements().find(|e| e.tag() == Tag::Body)
    }

    pub(crate) fn node(&self, id: u32) -> &Node {
        &self.nodes[id as usize]
    }
}

/// A node and the document it belongs to.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    doc: &'a Document,
    id: NodeId,
}

impl std::fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind() {
            NodeKind::Document => write!(f, "#document"),
            NodeKind::Text => write!(f, "#text {:?}", self.text().unwrap_or_default()),
            NodeKind::Element => {
                write!(f, "<{}", self.name())?;
                for (name, value) in self.attrs() {
                    write!(f, " {name}={value:?}")?;
                }
                write!(f, "> #{}", self.id.0)
            }
        }
    }
}

impl PartialEq for NodeRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}

impl<'a> NodeRef<'a> {
    fn raw(&self) -> &'a Node {
        &self.doc.nodes[self.id.index()]
    }

    fn link(&self, id: u32) -> Option<NodeRef<'a>> {
        (id != NONE).then(|| self.doc.get(NodeId(id)))
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn document(&self) -> &'a Document {
        self.doc
    }

    pub fn kind(&self) -> NodeKind {
        self.raw().kind
    }

    pub fn is_element(&self) -> bool {
        self.raw().kind == NodeKind::Element
    }

    pub fn is_text(&self) -> bool {
        self.raw().kind == NodeKind::Text
    }

    /// The element's tag ([`Tag::Other`] for names we do not know; not an element: `Other`).
    pub fn tag(&self) -> Tag {
        self.raw().tag
    }

    /// The element's name, lower case; empty for other nodes.
    pub fn name(&self) -> &'a str {
        let node = self.raw();
        match (node.kind, node.tag) {
            (NodeKind::Element, Tag::Other) => slice(&self.doc.strings, node.span),
            (NodeKind::Element, tag) => tag.as_str(),
            _ => "",
        }
    }

    /// The value of the attribute `name` (lower case), the first if the markup repeats it.
    pub fn attr(&self, name: &str) -> Option<&'a str> {
        self.attrs().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The element's attributes in markup order, names lower case, character references
    /// resolved.
    pub fn attrs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let doc = self.doc;
        let (start, end) = self.raw().attrs;
        doc.attrs[start as usize..end as usize]
            .iter()
            .map(move |a| (slice(&doc.strings, a.name), slice(&doc.strings, a.value)))
    }

    /// A text node's text (character references resolved, whitespace as in the markup).
    pub fn text(&self) -> Option<&'a str> {
        let node = self.raw();
        (node.kind == NodeKind::Text).then(|| slice(&self.doc.text, node.span))
    }

    pub fn parent(&self) -> Option<NodeRef<'a>> {
        self.link(self.raw().parent)
    }

    pub fn first_child(&self) -> Option<NodeRef<'a>> {
        self.link(self.raw().first_child)
    }

    pub fn last_child(&self) -> Option<NodeRef<'a>> {
        self.link(self.raw().last_child)
    }

    pub fn next_sibling(&self) -> Option<NodeRef<'a>> {
        self.link(self.raw().next_sibling)
    }

    pub fn children(&self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        std::iter::successors(self.first_child(), |n| n.next_sibling())
    }

    pub fn ancestors(&self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        std::iter::successors(self.parent(), |n| n.parent())
    }

    /// One past the last node of this subtree: the subtree is `id()..subtree_end()`.
    pub fn subtree_end(&self) -> NodeId {
        NodeId(self.raw().end)
    }

    pub fn subtree(&self) -> Range<usize> {
        self.id.index()..self.raw().end as usize
    }

    /// This node and everything below it, in document order.
    pub fn descendants(&self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        let doc = self.doc;
        self.subtree().map(move |i| doc.get(NodeId(i as u32)))
    }

    /// Whether `other` is this node or below it.
    pub fn contains(&self, other: NodeId) -> bool {
        self.subtree().contains(&other.index())
    }

    /// All the text below this node, as in the markup (scripts and styles included).
    pub fn text_content(&self) -> String {
        self.descendants().filter_map(|n| n.text()).collect()
    }
}
