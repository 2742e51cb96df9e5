//! The audit as a page people can read: `audit/index.html`, one self-contained file (styles
//! inline, charts as inline SVG drawn by `plotters`, no script or font fetched from anywhere)
//! that a steward can mail or publish beside the corpus.
//!
//! Every chart is a horizontal bar chart (one helper, [`bars`]): categories down the side,
//! their long names (domains, reason codes) readable, the values along the bottom. Each chart
//! is followed by its figures as a table, so nothing is only a picture.
//!
//! The page ends with a short script that checks, once the browser has laid it out, that each
//! chart drew its bars (their boxes have an area) and writes the result into the page
//! (`data-rendered` on each figure, `data-charts` on the body): the headless-browser test
//! reads it back, and a reader whose browser shows a chart without bars sees a warning.

use crate::audit::{AuditReport, Removal, Share};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Write;

/// What the page says about the corpus besides the audit's figures.
pub struct PageAbout {
    /// The corpus directory's name.
    pub corpus: String,
    /// The sha256 of the `manifest.json` audited.
    pub manifest_sha256: String,
}

/// One series of a bar chart: its name (in the legend when there are several) and a value
/// per category.
struct Series<'a> {
    name: &'a str,
    values: Vec<f64>,
    colour: RGBColor,
}

const BLUE: RGBColor = RGBColor(52, 101, 164);
const ORANGE: RGBColor = RGBColor(230, 126, 34);
const GREY: RGBColor = RGBColor(120, 120, 120);
const RED: RGBColor = RGBColor(192, 57, 43);
const GREEN: RGBColor = RGBColor(39, 130, 86);

/// The longest category name drawn; longer ones are cut (the table below has them whole).
const LABEL_CHARS: usize = 42;

fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// A horizontal bar chart as an SVG element: the first category on top; several series side
/// by side within a category; `marks` draws a vertical line per (value, name), e.g. a base
/// rate. A chart with nothing to draw (no category, or every value zero) is a sentence that
/// says so, not axes around nothing.
fn bars(
    title: &str,
    x_desc: &str,
    labels: &[String],
    series: &[Series],
    marks: &[(f64, &str)],
) -> String {
    let n = labels.len();
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .chain(marks.iter().map(|m| m.0))
        .fold(0.0f64, f64::max);
    if n == 0 || max <= 0.0 {
        return format!("<p class=\"empty\">{}: none.</p>", html(title));
    }
    let row = 10 + 12 * series.len() as u32;
    let legend = series.len() > 1 || !marks.is_empty();
    let height = 90 + row * n as u32 + if legend { 30 } else { 0 };
    let width = 920u32;
    let x_max = max * 1.08;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        // Drawing into a string cannot fail for want of a file; an error would be a bug of
        // ours in the coordinates, and the page says so where the chart would be.
        let drawn: Result<(), Box<dyn std::error::Error>> = (|| {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 17))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(290)
                .build_cartesian_2d(0f64..x_max, 0f64..n as f64)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_desc(x_desc)
                .x_label_formatter(&|v| number(*v))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()?;
            let k = series.len() as f64;
            for (s_i, s) in series.iter().enumerate() {
                let colour = s.colour;
                let drawn = chart.draw_series(s.values.iter().enumerate().map(|(i, &v)| {
                    // Category i from the top: its band is [n-i-1, n-i), split among series.
                    let top = (n - i) as f64 - 0.12 - s_i as f64 * 0.76 / k;
                    let bottom = top - 0.76 / k;
                    Rectangle::new([(0.0, bottom), (v, top)], colour.filled())
                }))?;
                if series.len() > 1 {
                    drawn.label(s.name).legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
                    });
                }
            }
            for &(at, name) in marks {
                chart
                    .draw_series(LineSeries::new(
                        [(at, 0.0), (at, n as f64)],
                        GREY.stroke_width(2),
                    ))?
                    .label(name)
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], GREY.stroke_width(2)));
            }
            if legend {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::LowerRight)
                    .background_style(WHITE.mix(0.9))
                    .border_style(GREY)
                    .draw()?;
            }
            let style = ("sans-serif", 13)
                .into_text_style(&root)
                .pos(Pos::new(HPos::Right, VPos::Center));
            for (i, label) in labels.iter().enumerate() {
                let (x, y) = chart.backend_coord(&(0.0, (n - i) as f64 - 0.5));
                root.draw(&Text::new(short(label), (x - 6, y), style.clone()))?;
            }
            root.present()?;
            Ok(())
        })();
        if let Err(e) = drawn {
            return format!("<p class=\"error\">{}: cannot draw ({e})</p>", html(title));
        }
    }
    svg
}

fn number(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v.abs() >= 10.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A table: a header row and rows of cells (already plain text; escaped here).
fn table(head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut t = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(t, "<th>{}</th>", html(h));
    }
    t.push_str("</tr></thead><tbody>");
    for r in rows {
        t.push_str("<tr>");
        for c in r {
            let _ = write!(t, "<td>{}</td>", html(&c));
        }
        t.push_str("</tr>");
    }
    t.push_str("</tbody></table>");
    t
}

/// A section: heading, explanation, then charts and tables.
struct Page {
    body: String,
    charts: usize,
}

impl Page {
    fn section(&mut self, id: &str, title: &str, why: &str) {
        let _ = write!(
            self.body,
            "<section id=\"{id}\"><h2>{}</h2><p>{}</p>",
            html(title),
            html(why)
        );
    }

    fn chart(&mut self, svg: String) {
        if svg.starts_with("<svg") {
            self.charts += 1;
            let _ = write!(self.body, "<figure class=\"chart\">{svg}</figure>");
        } else {
            self.body.push_str(&svg);
        }
    }

    fn end(&mut self) {
        self.body.push_str("</section>");
    }
}

fn share_chart(title: &str, shares: &[Share], limit: usize) -> String {
    let shares = &shares[..shares.len().min(limit)];
    bars(
        title,
        "documents / words",
        &shares.iter().map(|s| s.key.clone()).collect::<Vec<_>>(),
        &[
            Series {
                name: "documents",
                values: shares.iter().map(|s| s.documents as f64).collect(),
                colour: BLUE,
            },
            Series {
                name: "words (thousands)",
                values: shares.iter().map(|s| s.words as f64 / 1e3).collect(),
                colour: ORANGE,
            },
        ],
        &[],
    )
}

fn share_table(shares: &[Share]) -> String {
    table(
        &["", "documents", "words"],
        shares
            .iter()
            .map(|s| vec![s.key.clone(), s.documents.to_string(), s.words.to_string()]),
    )
}

fn removal_chart(title: &str, removals: &[&Removal]) -> String {
    bars(
        title,
        "records",
        &removals
            .iter()
            .map(|r| r.reason.clone())
            .collect::<Vec<_>>(),
        &[Series {
            name: "records",
            values: removals.iter().map(|r| r.records as f64).collect(),
            colour: RED,
        }],
        &[],
    )
}

fn removal_table(removals: &[&Removal]) -> String {
    table(
        &[
            "reason",
            "decision",
            "records",
            "words",
            "records without a word count",
        ],
        removals.iter().map(|r| {
            vec![
                r.reason.clone(),
                r.decision.clone(),
                r.records.to_string(),
                r.words.to_string(),
                r.unmeasured.to_string(),
            ]
        }),
    )
}

const STYLE: &str = "body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;\
color:#222;line-height:1.45}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.9em}td,th{border:1px solid #ddd;\
padding:.2em .6em;text-align:left}td+td{text-align:right}figure{margin:1em 0}\
figure.chart[data-rendered=no]{outline:3px solid #c0392b}.empty,.note{color:#666}\
.error{color:#c0392b}nav a{margin-right:1em}";

/// The render check (see the module docs): a chart rendered when its SVG has a laid-out box
/// and at least one bar (a `rect` filled with a series colour) with an area.
fn render_check() -> String {
    let colours: Vec<String> = [BLUE, ORANGE, RED, GREEN]
        .iter()
        .map(|c| format!("'#{:02X}{:02X}{:02X}'", c.0, c.1, c.2))
        .collect();
    format!(
        "<script>(function(){{var colours=[{}],f=document.querySelectorAll('figure.chart'),ok=0;\
         f.forEach(function(fig){{var s=fig.querySelector('svg'),\
         b=s?s.getBoundingClientRect():null,bars=0;\
         if(s)s.querySelectorAll('rect').forEach(function(e){{var q=e.getBoundingClientRect();\
         if(colours.indexOf(e.getAttribute('fill'))>=0&&q.width>0&&q.height>0)bars++;}});\
         var good=!!b&&b.width>100&&b.height>50&&bars>0;\
         fig.setAttribute('data-rendered',good?'yes':'no');fig.setAttribute('data-bars',bars);\
         if(good)ok++;}});document.body.setAttribute('data-charts',ok+'/'+f.length);}})();</script>",
        colours.join(",")
    )
}

/// The whole page.
pub fn render(r: &AuditReport, about: &PageAbout) -> String {
    let mut p = Page {
        body: String::new(),
        charts: 0,
    };
    let c = &r.consent_share;
    let _ = write!(
        p.body,
        "<h1>What the corpus <code>{}</code> holds</h1><p>{} documents, {} words, {} sentences. \
         Refusals removed {:.2}% of the candidate words ({} refused records, {} of them \
         refused before any fetch, so of unknown size). Manifest sha256 <code>{}</code>; the \
         same figures as JSON in <a href=\"audit.json\">audit.json</a>.</p>",
        html(&about.corpus),
        r.documents,
        r.words,
        r.sentences,
        c.share * 100.0,
        r.refused_records,
        c.refused_unmeasured,
        html(&about.manifest_sha256)
    );
    p.body.push_str(
        "<nav><a href=\"#composition\">Composition</a><a href=\"#consent\">Consent</a>\
         <a href=\"#filters\">Filters</a><a href=\"#pii\">Personal data</a>\
         <a href=\"#identity\">Identity terms</a><a href=\"#ngrams\">Word pairs</a></nav>",
    );

    p.section(
        "composition",
        "Composition",
        "Documents and words by language, by domain (the 50 with most documents) and by \
         licence, and documents by length. Words are tokens with a letter.",
    );
    p.chart(share_chart("By language", &r.by_language, 40));
    p.body.push_str(&share_table(&r.by_language));
    let domains = &r.by_domain;
    p.chart(bars(
        "By domain (top 50)",
        "documents",
        &domains.iter().map(|d| d.0.clone()).collect::<Vec<_>>(),
        &[Series {
            name: "documents",
            values: domains.iter().map(|d| d.1 as f64).collect(),
            colour: BLUE,
        }],
        &[],
    ));
    p.body.push_str(&table(
        &["domain", "documents", "at most this many over"],
        domains
            .iter()
            .map(|d| vec![d.0.clone(), d.1.to_string(), d.2.to_string()]),
    ));
    p.chart(share_chart("By licence", &r.by_licence, 40));
    p.body.push_str(&share_table(&r.by_licence));
    let lengths: Vec<String> = r
        .length_words
        .iter()
        .map(|(up_to, _)| format!("≤ {up_to} words"))
        .collect();
    p.chart(bars(
        "Length distribution",
        "documents",
        &lengths,
        &[Series {
            name: "documents",
            values: r.length_words.iter().map(|l| l.1 as f64).collect(),
            colour: BLUE,
        }],
        &[],
    ));
    p.end();

    p.section(
        "consent",
        "The consent landscape",
        "Which machine-readable signals refused how many pages and sites, which signals \
         refused together, and the share of the candidate words (kept, dropped by a filter or \
         dedup, or refused with their text read) that refusals removed.",
    );
    let signals = &r.refusals_by_signal;
    p.chart(bars(
        "Refusals by signal",
        "pages / sites",
        &signals.iter().map(|s| s.signal.clone()).collect::<Vec<_>>(),
        &[
            Series {
                name: "pages",
                values: signals.iter().map(|s| s.pages as f64).collect(),
                colour: RED,
            },
            Series {
                name: "sites",
                values: signals.iter().map(|s| s.sites as f64).collect(),
                colour: ORANGE,
            },
        ],
        &[],
    ));
    p.body.push_str(&table(
        &["signal", "pages", "sites"],
        signals
            .iter()
            .map(|s| vec![s.signal.clone(), s.pages.to_string(), s.sites.to_string()]),
    ));
    p.body.push_str(&table(
        &["signals that refused together", "records"],
        r.refusal_overlaps
            .iter()
            .map(|(set, n)| vec![set.join(" + "), n.to_string()]),
    ));
    p.chart(bars(
        "Candidate words: kept, dropped and refused",
        "words",
        &[
            "kept".into(),
            "dropped (filters, dedup)".into(),
            "refused".into(),
        ],
        &[Series {
            name: "words",
            values: vec![
                c.kept_words as f64,
                c.dropped_words as f64,
                c.refused_words as f64,
            ],
            colour: GREEN,
        }],
        &[],
    ));
    let _ = write!(
        p.body,
        "<p class=\"note\">Refused: {:.2}% of the candidate words, from {} pages whose text was \
         read; {} more were refused before any fetch (robots.txt and the other site-level \
         signals), whose size is unknown, so the share is a lower bound when that is not zero.\
         </p>",
        c.share * 100.0,
        c.refused_measured,
        c.refused_unmeasured
    );
    let refused: Vec<&Removal> = r
        .removals
        .iter()
        .filter(|x| x.decision == "refused")
        .collect();
    p.chart(removal_chart("Refusals by reason", &refused));
    p.body.push_str(&removal_table(&refused));
    p.end();

    p.section(
        "filters",
        "Filters and deduplication",
        "Records the language, quality, PII and dedup steps dropped, and records that failed, by \
         their first reason code.",
    );
    let dropped: Vec<&Removal> = r
        .removals
        .iter()
        .filter(|x| x.decision != "refused")
        .collect();
    p.chart(removal_chart("Dropped and failed, by rule", &dropped));
    p.body.push_str(&removal_table(&dropped));
    p.end();

    p.section(
        "pii",
        "Personal data replaced",
        "Addresses, numbers and identifiers the PII step replaced by typed placeholders.",
    );
    let pii: Vec<(&String, &u64)> = r.pii.iter().collect();
    p.chart(bars(
        "Personal data replaced, by kind",
        "replacements",
        &pii.iter().map(|(k, _)| (*k).clone()).collect::<Vec<_>>(),
        &[Series {
            name: "replacements",
            values: pii.iter().map(|(_, &v)| v as f64).collect(),
            colour: BLUE,
        }],
        &[],
    ));
    let _ = write!(
        p.body,
        "<p>{} documents held personal data.</p>",
        r.documents_with_pii
    );
    p.end();

    identity(&mut p, r);

    p.section(
        "ngrams",
        "Most frequent word pairs",
        "Pairs of consecutive words (lower-cased, letters only), counted by Space-Saving: exact \
         unless the error column says by how much a count may be over.",
    );
    let top: Vec<&(String, u64, u64)> = r.top_bigrams.iter().take(25).collect();
    p.chart(bars(
        "Most frequent word pairs",
        "occurrences",
        &top.iter().map(|b| b.0.clone()).collect::<Vec<_>>(),
        &[Series {
            name: "occurrences",
            values: top.iter().map(|b| b.1 as f64).collect(),
            colour: BLUE,
        }],
        &[],
    ));
    p.body.push_str(&table(
        &["pair", "count", "error"],
        top.iter()
            .map(|b| vec![b.0.clone(), b.1.to_string(), b.2.to_string()]),
    ));
    p.end();

    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Audit of {}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head>\
         <body data-charts-drawn=\"{}\">{}{}</body></html>\n",
        html(&about.corpus),
        p.charts,
        p.body,
        render_check()
    )
}

/// Identity terms: mentions per million words, and for each negative lexicon the share of
/// each term's sentences that hold one of its words, beside that lexicon's base rate.
fn identity(p: &mut Page, r: &AuditReport) {
    p.section(
        "identity",
        "Identity terms and their company",
        "How often terms of religion, gender, nationality and ethnicity are mentioned, and how \
         often a sentence that mentions one also holds a word of violence, crime or other \
         negative lexicons, beside the share of all sentences that do (the grey line). A bar far \
         past the line is an association the corpus would teach. The 30 most mentioned terms.",
    );
    let mut terms: Vec<_> = r.identity_terms.iter().filter(|t| t.mentions > 0).collect();
    terms.sort_by(|a, b| b.mentions.cmp(&a.mentions).then(a.term.cmp(&b.term)));
    terms.truncate(30);
    let labels: Vec<String> = terms
        .iter()
        .map(|t| format!("{} ({})", t.term, t.lexicon))
        .collect();
    p.chart(bars(
        "Mentions per million words",
        "per million words",
        &labels,
        &[Series {
            name: "mentions",
            values: terms.iter().map(|t| t.per_million_words).collect(),
            colour: BLUE,
        }],
        &[],
    ));
    for (lexicon, base) in &r.base_rates {
        p.chart(bars(
            &format!("Sentences with a {lexicon} word"),
            "share of the term's sentences",
            &labels,
            &[Series {
                name: lexicon,
                values: terms
                    .iter()
                    .map(|t| t.cooccurrence.get(lexicon).copied().unwrap_or(0.0))
                    .collect(),
                colour: RED,
            }],
            &[(*base, "all sentences")],
        ));
    }
    let mut head = vec![
        "term",
        "lexicon",
        "mentions",
        "per million words",
        "sentences",
    ];
    head.extend(r.base_rates.keys().map(String::as_str));
    p.body.push_str(&table(
        &head,
        terms.iter().map(|t| {
            let mut row = vec![
                t.term.clone(),
                t.lexicon.clone(),
                t.mentions.to_string(),
                format!("{:.1}", t.per_million_words),
                t.sentences.to_string(),
            ];
            row.extend(
                r.base_rates
                    .keys()
                    .map(|l| format!("{:.4}", t.cooccurrence.get(l).copied().unwrap_or(0.0))),
            );
            row
        }),
    ));
    p.body.push_str(&table(
        &["lexicon", "source"],
        r.lexicons.iter().map(|(n, s)| vec![n.clone(), s.clone()]),
    ));
    let _ = write!(
        p.body,
        "<p class=\"note\">Base rates: {}.</p>",
        r.base_rates
            .iter()
            .map(|(l, v)| format!("{l} {:.4}", v))
            .collect::<Vec<_>>()
            .join(", ")
    );
    p.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{ConsentShare, SignalStats};

    fn report() -> AuditReport {
        AuditReport {
            documents: 3,
            words: 300,
            by_language: vec![Share {
                key: "en".into(),
                documents: 3,
                words: 300,
            }],
            by_domain: vec![("a.example".into(), 2, 0), ("b.example".into(), 1, 0)],
            refusals_by_signal: vec![SignalStats {
                signal: "robots.ai-token".into(),
                pages: 4,
                sites: 1,
            }],
            consent_share: ConsentShare {
                kept_words: 300,
                refused_words: 100,
                share: 0.25,
                ..ConsentShare::default()
            },
            ..AuditReport::default()
        }
    }

    #[test]
    fn the_page_is_self_contained_and_counts_its_charts() {
        let page = render(
            &report(),
            &PageAbout {
                corpus: "c<1>".into(),
                manifest_sha256: "ab".into(),
            },
        );
        // Language, domain, refusals by signal, candidate words: four charts with data.
        assert!(page.contains("data-charts-drawn=\"4\""), "{page}");
        assert_eq!(page.matches("<figure class=\"chart\"><svg").count(), 4);
        assert!(page.contains("c&lt;1&gt;"));
        assert!(page.contains("25.00% of the candidate words"));
        for fetch in ["src=\"http", "href=\"http", "url(http", "@import"] {
            assert!(!page.contains(fetch), "{fetch}");
        }
        // Charts without data say so rather than drawing empty axes.
        assert!(page.contains("Personal data replaced, by kind: none."));
    }

    #[test]
    fn a_chart_of_zeros_is_a_sentence() {
        let labels = vec!["a".to_string()];
        let zero = |v: f64| Series {
            name: "x",
            values: vec![v],
            colour: BLUE,
        };
        assert!(bars("T", "x", &labels, &[zero(0.0)], &[]).contains("T: none."));
        assert!(bars("T", "x", &labels, &[zero(0.0)], &[(0.2, "base")]).starts_with("<svg"));
        assert!(bars("T", "x", &labels, &[zero(3.0)], &[]).starts_with("<svg"));
    }

    #[test]
    fn long_labels_are_cut() {
        let long = "x".repeat(100);
        assert_eq!(short(&long).chars().count(), LABEL_CHARS);
        assert_eq!(short("short"), "short");
    }
}
