//! The tree as blocks of text, in reading order.
//!
//! One iterative walk over the body: block-level elements begin and end blocks; inline text
//! joins the block it is in with whitespace collapsed; `<br>` is a line break; `<pre>` keeps its
//! lines; a data table (one without block-level content in its cells) becomes one block, a row
//! a line, cells separated by tabs, while a layout table's cells are blocks of their own.
//! Elements a reader does not see (scripts, styles, forms' controls, embedded media, `hidden`,
//! `display:none`) give no text.
//!
//! Each block remembers the element it belongs to, so that [`super::main_content`] can keep
//! the blocks inside the container it chooses, and how much of its text is link text.

use super::dom::{Document, NodeId, NodeKind, Tag};

/// What kind of element a block comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlockKind {
    Heading(u8),
    Paragraph,
    ListItem,
    Pre,
    Table,
    /// Text in any other block-level element (a `<div>`, a cell of a layout table, …).
    Other,
}

#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub(crate) text: String,
    /// The innermost block-level element the block's text is in.
    pub(crate) owner: NodeId,
    pub(crate) kind: BlockKind,
    /// Bytes of text that are not whitespace, in all and inside links.
    pub(crate) chars: u32,
    pub(crate) link_chars: u32,
}

/// The character that stands for `<br>` until a block is finished (a line separator, which
/// means just that if a page has one).
const LINE_BREAK: char = '\u{2028}';

/// Between the cells of a row of a data table until the block is finished (the unit
/// separator, a control character that collapsing whitespace does not touch); a tab in the
/// output, so that a cell's words stay words.
const CELL_SEPARATOR: char = '\u{1f}';

/// Elements whose content a reader never sees as text.
pub(crate) fn is_invisible_tag(tag: Tag) -> bool {
    use Tag::*;
    matches!(
        tag,
        Script
            | Style
            | Noscript
            | Template
            | Svg
            | Math
            | Iframe
            | Object
            | Embed
            | Canvas
            | Audio
            | Video
            | Select
            | Textarea
            | Button
            | Input
            | Head
            | Title
            | Frameset
            | Noframes
            | Noembed
            | Map
            | Picture
            | Rp
            | Dialog
    )
}

/// Whether an element is hidden by its attributes.
pub(crate) fn is_hidden(doc: &Document, id: NodeId) -> bool {
    let el = doc.get(id);
    el.attrs().any(|(name, value)| match name {
        "hidden" => true,
        "aria-hidden" => value.eq_ignore_ascii_case("true"),
        "style" => {
            let v: String = value
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            v.contains("display:none") || v.contains("visibility:hidden")
        }
        _ => false,
    })
}

/// Per node: whether the element has a block-level element below it (for telling data tables
/// from layout tables).
fn block_descendants(doc: &Document) -> Vec<bool> {
    let mut has = vec![false; doc.nodes.len()];
    for i in (1..doc.nodes.len()).rev() {
        let node = &doc.nodes[i];
        if node.kind == NodeKind::Element && (has[i] || is_layout_block(node.tag)) {
            has[node.parent as usize] = true;
        }
    }
    has
}

/// Block-level content that makes a table a layout table when a cell holds it.
fn is_layout_block(tag: Tag) -> bool {
    use Tag::*;
    tag.is_heading()
        || matches!(
            tag,
            Table | P | Div | Ul | Ol | Dl | Blockquote | Pre | Section | Article | Form | Main
        )
}

struct Walker<'a> {
    doc: &'a Document,
    blocks: Vec<Block>,
    buf: String,
    owner: NodeId,
    link_chars: u32,
    /// Open elements that matter to the text: (element, subtree end).
    open: Vec<(NodeId, u32)>,
    links: usize,
    pre: usize,
    /// The data table being rendered, with whether its current row has a cell yet.
    table: Option<(NodeId, bool)>,
}

/// All the visible blocks of the body (or of the whole document, if it has no body).
pub(crate) fn blocks(doc: &Document) -> Vec<Block> {
    let start = doc.body().map_or(NodeId::ROOT, |b| b.id());
    let has_blocks = block_descendants(doc);
    let mut w = Walker {
        doc,
        blocks: Vec::new(),
        buf: String::new(),
        owner: start,
        link_chars: 0,
        open: Vec::new(),
        links: 0,
        pre: 0,
        table: None,
    };
    let end = doc.node(start.0).end;
    let mut i = start.0;
    while i < end {
        // Leave the elements whose subtree ends here.
        while let Some(&(id, until)) = w.open.last() {
            if until > i {
                break;
            }
            w.open.pop();
            w.leave(id);
        }
        let node = doc.node(i);
        match node.kind {
            NodeKind::Text => {
                if let Some(text) = doc.get(NodeId(i)).text() {
                    w.text(text);
                }
                i += 1;
            }
            NodeKind::Element => {
                let id = NodeId(i);
                if is_invisible_tag(node.tag) || is_hidden(doc, id) {
                    i = node.end;
                    continue;
                }
                w.enter(id, node.tag, &has_blocks);
                w.open.push((id, node.end));
                i += 1;
            }
            NodeKind::Document => i += 1,
        }
    }
    while let Some((id, _)) = w.open.pop() {
        w.leave(id);
    }
    w.flush();
    w.blocks
}

impl Walker<'_> {
    fn in_table(&self) -> bool {
        self.table.is_some()
    }

    fn enter(&mut self, id: NodeId, tag: Tag, has_blocks: &[bool]) {
        if let Some((_, row_has_cell)) = &mut self.table {
            match tag {
                // Each row on a line of its own (after a caption, too).
                Tag::Tr => {
                    self.buf.push(LINE_BREAK);
                    *row_has_cell = false;
                }
                Tag::Td | Tag::Th => {
                    if *row_has_cell {
                        self.buf.push(CELL_SEPARATOR);
                    }
                    *row_has_cell = true;
                }
                Tag::Br => self.buf.push(' '),
                _ => {}
            }
            if tag == Tag::A {
                self.links += 1;
            }
            return;
        }
        if tag == Tag::Table && !has_blocks[id.index()] {
            self.flush();
            self.owner = id;
            self.table = Some((id, false));
            return;
        }
        match tag {
            Tag::A => self.links += 1,
            Tag::Br => self.buf.push(LINE_BREAK),
            Tag::Pre | Tag::Listing | Tag::Xmp | Tag::Plaintext => {
                self.flush();
                self.pre += 1;
                self.owner = id;
            }
            Tag::Img | Tag::Input | Tag::Wbr => {}
            _ if tag.is_block() => {
                self.flush();
                self.owner = id;
            }
            _ => {}
        }
    }

    fn leave(&mut self, id: NodeId) {
        let tag = self.doc.get(id).tag();
        if let Some((table, _)) = self.table {
            if table == id {
                self.flush_as(BlockKind::Table, id);
                self.table = None;
                self.owner = self.enclosing_block();
            } else if tag == Tag::A {
                self.links = self.links.saturating_sub(1);
            }
            return;
        }
        match tag {
            Tag::A => self.links = self.links.saturating_sub(1),
            Tag::Pre | Tag::Listing | Tag::Xmp | Tag::Plaintext => {
                self.flush();
                self.pre = self.pre.saturating_sub(1);
                self.owner = self.enclosing_block();
            }
            _ if tag.is_block() => {
                self.flush();
                self.owner = self.enclosing_block();
            }
            _ => {}
        }
    }

    /// The innermost open block-level element (after one was left).
    fn enclosing_block(&self) -> NodeId {
        self.open
            .iter()
            .rev()
            .map(|&(id, _)| id)
            .find(|&id| self.doc.get(id).tag().is_block())
            .unwrap_or(NodeId::ROOT)
    }

    fn text(&mut self, text: &str) {
        if self.buf.is_empty() && self.pre == 0 && !has_visible(text) {
            return;
        }
        self.buf.push_str(text);
        if self.links > 0 {
            self.link_chars += visible_bytes(text);
        }
    }

    fn kind_of(&self, owner: NodeId) -> BlockKind {
        if self.pre > 0 {
            return BlockKind::Pre;
        }
        match self.doc.get(owner).tag() {
            Tag::H1 => BlockKind::Heading(1),
            Tag::H2 => BlockKind::Heading(2),
            Tag::H3 => BlockKind::Heading(3),
            Tag::H4 => BlockKind::Heading(4),
            Tag::H5 => BlockKind::Heading(5),
            Tag::H6 => BlockKind::Heading(6),
            Tag::P => BlockKind::Paragraph,
            Tag::Li | Tag::Dd | Tag::Dt => BlockKind::ListItem,
            _ => BlockKind::Other,
        }
    }

    fn flush(&mut self) {
        if self.in_table() {
            return;
        }
        let kind = self.kind_of(self.owner);
        self.flush_as(kind, self.owner);
    }

    fn flush_as(&mut self, kind: BlockKind, owner: NodeId) {
        if self.buf.is_empty() {
            return;
        }
        let (text, chars) = if kind == BlockKind::Pre {
            let text = tidy_pre(&self.buf);
            let chars = visible_bytes(&text);
            (text, chars)
        } else {
            let (text, separators) = collapse_lines(&self.buf);
            let chars = (text.len() - separators) as u32;
            (text, chars)
        };
        self.buf.clear();
        let link_chars = self.link_chars.min(chars);
        self.link_chars = 0;
        // A block of zero-width characters alone is not text.
        if text.chars().any(|c| !is_invisible_char(c)) {
            self.blocks.push(Block {
                text,
                owner,
                kind,
                chars,
                link_chars,
            });
        }
    }
}

/// What a byte is to [`collapse_lines`]: part of a word, ASCII whitespace, the cell
/// separator, or the first byte of a character that is not ASCII (which may be whitespace or a
/// line break). A table rather than method calls: loops over every byte of a page stay fast
/// in an unoptimised test build too.
const WORD: u8 = 0;
const SPACE: u8 = 1;
const CELL: u8 = 2;
const WIDE: u8 = 3;
static BYTE_CLASS: [u8; 256] = {
    let mut table = [WORD; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = if b >= 0x80 {
            WIDE
        } else if b == 0x1f {
            CELL
        } else if (b as u8).is_ascii_whitespace() {
            SPACE
        } else {
            WORD
        };
        b += 1;
    }
    table
};

/// Characters that take no space: zero-width space, joiners, the byte-order mark.
fn is_invisible_char(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

/// Whether a text has a byte that is not ASCII whitespace.
fn has_visible(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if BYTE_CLASS[bytes[i] as usize] != SPACE {
            return true;
        }
        i += 1;
    }
    false
}

/// Bytes that are not ASCII whitespace.
fn visible_bytes(text: &str) -> u32 {
    let bytes = text.as_bytes();
    let mut n = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        n += u32::from(BYTE_CLASS[bytes[i] as usize] != SPACE);
        i += 1;
    }
    n
}

/// Runs of whitespace become one space within each line (lines end at a `<br>`) and each cell
/// of a table row (cells end at [`CELL_SEPARATOR`], a tab in the output); leading and trailing
/// whitespace, empty lines and empty cells at the end of a row go. Also says how many bytes of
/// the result are separators.
fn collapse_lines(text: &str) -> (String, usize) {
    let mut separators = 0;
    let mut out = String::with_capacity(text.len());
    // What comes before the next word: a line break, cell separators, a space.
    let mut line = false;
    let mut cells = 0usize;
    let mut space = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let mut end = i;
        match BYTE_CLASS[bytes[i] as usize] {
            CELL => {
                cells += 1;
                space = false;
                i += 1;
                continue;
            }
            SPACE => {
                space = true;
                i += 1;
                continue;
            }
            WORD => {
                while end < bytes.len() && BYTE_CLASS[bytes[end] as usize] == WORD {
                    end += 1;
                }
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                if c == LINE_BREAK {
                    (line, cells, space) = (true, 0, false);
                    i += c.len_utf8();
                    continue;
                }
                if c.is_whitespace() {
                    space = true;
                    i += c.len_utf8();
                    continue;
                }
                end = i + c.len_utf8();
            }
        }
        // A word, or the next part of one.
        if line && !out.is_empty() {
            out.push('\n');
            separators += 1;
        } else if cells == 0 && space && !out.is_empty() && !line {
            out.push(' ');
            separators += 1;
        }
        for _ in 0..cells {
            out.push('\t');
        }
        separators += cells;
        (line, cells, space) = (false, 0, false);
        out.push_str(&text[i..end]);
        i = end;
    }
    (out, separators)
}

/// Runs of whitespace become one space; leading and trailing whitespace goes.
pub(crate) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Preformatted text keeps its lines and indentation; trailing spaces and blank lines at either
/// end go.
fn tidy_pre(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace(['\r', LINE_BREAK], "\n");
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(first), Some(last)) => lines[first..=last].join("\n"),
        _ => String::new(),
    }
}
