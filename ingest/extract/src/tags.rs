//! The elements we know by name, and the groups of them that tree building and rendering
//! need: void elements, headings, block-level elements, the HTML standard's "special"
//! elements, the start tags that close a `<p>`, head content, and what breaks out of `<svg>`.

macro_rules! tags {
    ($($variant:ident = $name:literal,)*) => {
        /// The elements the tree builder and the extractor know by name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Tag {
            $($variant,)*
            /// Any other name (see [`super::dom::NodeRef::name`]).
            Other,
        }

        impl Tag {
            pub fn from_name(name: &[u8]) -> Tag {
                match name {
                    $($name => Tag::$variant,)*
                    _ => Tag::Other,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Tag::$variant => {
                        // The names are ASCII literals.
                        match std::str::from_utf8($name) { Ok(s) => s, Err(_) => "" }
                    })*
                    Tag::Other => "",
                }
            }
        }
    };
}

tags! {
    A = b"a", Abbr = b"abbr", Address = b"address", Applet = b"applet", Area = b"area",
    Article = b"article", Aside = b"aside", Audio = b"audio", B = b"b", Base = b"base",
    Basefont = b"basefont", Bgsound = b"bgsound", Big = b"big", Blockquote = b"blockquote",
    Body = b"body", Br = b"br", Button = b"button", Canvas = b"canvas", Caption = b"caption",
    Center = b"center", Cite = b"cite", Code = b"code", Col = b"col", Colgroup = b"colgroup",
    Dd = b"dd", Del = b"del", Details = b"details", Dialog = b"dialog", Dir = b"dir",
    Div = b"div", Dl = b"dl", Dt = b"dt", Em = b"em", Embed = b"embed", Fieldset = b"fieldset",
    Figcaption = b"figcaption", Figure = b"figure", Font = b"font", Footer = b"footer",
    Form = b"form", Frame = b"frame", Frameset = b"frameset", H1 = b"h1", H2 = b"h2",
    H3 = b"h3", H4 = b"h4", H5 = b"h5", H6 = b"h6", Head = b"head", Header = b"header",
    Hgroup = b"hgroup", Hr = b"hr", Html = b"html", I = b"i", Iframe = b"iframe",
    Image = b"image", Img = b"img", Input = b"input", Ins = b"ins", Kbd = b"kbd",
    Keygen = b"keygen", Label = b"label", Legend = b"legend", Li = b"li", Link = b"link",
    Listing = b"listing", Main = b"main", Map = b"map", Mark = b"mark", Marquee = b"marquee",
    Math = b"math", Menu = b"menu", Meta = b"meta", Nav = b"nav", Nobr = b"nobr",
    Noembed = b"noembed", Noframes = b"noframes", Noscript = b"noscript", Object = b"object",
    Ol = b"ol", Optgroup = b"optgroup", Option = b"option", P = b"p", Param = b"param",
    Picture = b"picture", Plaintext = b"plaintext", Pre = b"pre", Q = b"q", Rp = b"rp",
    Rt = b"rt", S = b"s", Samp = b"samp", Script = b"script", Search = b"search",
    Section = b"section", Select = b"select", Small = b"small", Source = b"source",
    Span = b"span", Strike = b"strike", Strong = b"strong", Style = b"style", Sub = b"sub",
    Summary = b"summary", Sup = b"sup", Svg = b"svg", Table = b"table", Tbody = b"tbody",
    Td = b"td", Template = b"template", Textarea = b"textarea", Tfoot = b"tfoot", Th = b"th",
    Thead = b"thead", Time = b"time", Title = b"title", Tr = b"tr", Track = b"track",
    Tt = b"tt", U = b"u", Ul = b"ul", Var = b"var", Video = b"video", Wbr = b"wbr",
    Xmp = b"xmp",
}

impl Tag {
    /// Elements that never have content (and no end tag).
    pub fn is_void(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Area | Base
                | Basefont
                | Bgsound
                | Br
                | Col
                | Embed
                | Frame
                | Hr
                | Image
                | Img
                | Input
                | Keygen
                | Link
                | Meta
                | Param
                | Source
                | Track
                | Wbr
        )
    }

    pub fn is_heading(self) -> bool {
        matches!(
            self,
            Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6
        )
    }

    /// Elements that begin and end a block of text when rendered (as a browser lays them out
    /// on lines of their own).
    pub fn is_block(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Address
                | Article
                | Aside
                | Blockquote
                | Body
                | Caption
                | Center
                | Dd
                | Details
                | Dialog
                | Dir
                | Div
                | Dl
                | Dt
                | Fieldset
                | Figcaption
                | Figure
                | Footer
                | Form
                | H1
                | H2
                | H3
                | H4
                | H5
                | H6
                | Header
                | Hgroup
                | Hr
                | Html
                | Legend
                | Li
                | Listing
                | Main
                | Menu
                | Nav
                | Ol
                | P
                | Plaintext
                | Pre
                | Search
                | Section
                | Summary
                | Table
                | Tbody
                | Td
                | Tfoot
                | Th
                | Thead
                | Tr
                | Ul
                | Xmp
        )
    }
}

/// The "special" elements of the HTML standard: an end tag for an unknown or inline element
/// does not close past one of them.
pub(crate) fn is_special(tag: Tag) -> bool {
    use Tag::*;
    tag.is_block()
        || matches!(
            tag,
            Applet
                | Area
                | Base
                | Basefont
                | Bgsound
                | Br
                | Button
                | Col
                | Colgroup
                | Embed
                | Frame
                | Frameset
                | Head
                | Iframe
                | Img
                | Input
                | Keygen
                | Link
                | Marquee
                | Meta
                | Noembed
                | Noframes
                | Noscript
                | Object
                | Param
                | Script
                | Select
                | Source
                | Style
                | Template
                | Textarea
                | Title
                | Track
                | Wbr
        )
}

/// Start tags that close an open `<p>`.
pub(crate) fn closes_p(tag: Tag) -> bool {
    use Tag::*;
    tag.is_heading()
        || matches!(
            tag,
            Address
                | Article
                | Aside
                | Blockquote
                | Center
                | Details
                | Dialog
                | Dir
                | Div
                | Dl
                | Fieldset
                | Figcaption
                | Figure
                | Footer
                | Header
                | Hgroup
                | Main
                | Menu
                | Nav
                | Ol
                | P
                | Search
                | Section
                | Summary
                | Ul
                | Pre
                | Listing
                | Form
                | Plaintext
                | Table
                | Hr
                | Xmp
                | Li
                | Dd
                | Dt
        )
}

/// Elements that belong in `<head>` when they come before the body.
pub(crate) fn is_head_content(tag: Tag) -> bool {
    use Tag::*;
    matches!(
        tag,
        Base | Basefont | Bgsound | Link | Meta | Noscript | Script | Style | Template | Title
    )
}

/// HTML start tags that end an open `<svg>` or `<math>`.
pub(crate) fn breaks_out_of_foreign(tag: Tag) -> bool {
    use Tag::*;
    tag.is_heading()
        || matches!(
            tag,
            B | Big
                | Blockquote
                | Body
                | Br
                | Center
                | Code
                | Dd
                | Div
                | Dl
                | Dt
                | Em
                | Embed
                | Head
                | Hr
                | I
                | Img
                | Li
                | Listing
                | Menu
                | Meta
                | Nobr
                | Ol
                | P
                | Pre
                | S
                | Small
                | Span
                | Strong
                | Strike
                | Sub
                | Sup
                | Table
                | Tt
                | U
                | Ul
                | Var
        )
}
