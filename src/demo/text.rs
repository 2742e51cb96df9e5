//! A small generator of readable English prose for the demo web.
//!
//! Every sentence is assembled from word lists written for this project, driven by a seeded
//! SplitMix64 generator, so the demo corpus is the same on every machine and owes nothing to
//! anyone else's text. It is varied enough that a byte-level model has something to learn.

/// SplitMix64: tiny, seedable and good enough to pick words.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A subject area: its nouns, verbs and adjectives.
pub struct Topic {
    pub name: &'static str,
    nouns: &'static [&'static str],
    verbs: &'static [&'static str],
    adjectives: &'static [&'static str],
}

pub const TOPICS: &[Topic] = &[
    Topic {
        name: "Gardening",
        nouns: &[
            "tomato seedling",
            "compost heap",
            "raised bed",
            "watering can",
            "bean trellis",
            "mulch layer",
            "pollinator",
            "garden shed",
            "rain barrel",
            "herb border",
        ],
        verbs: &[
            "shelters",
            "feeds",
            "needs",
            "outgrows",
            "shades",
            "protects",
            "crowds",
            "drains into",
            "attracts",
            "warms",
        ],
        adjectives: &[
            "sunny",
            "damp",
            "sheltered",
            "crumbly",
            "overgrown",
            "fragrant",
            "early",
            "sturdy",
            "shallow",
            "tidy",
        ],
    },
    Topic {
        name: "Astronomy",
        nouns: &[
            "telescope",
            "red dwarf",
            "comet tail",
            "lunar crater",
            "star chart",
            "eyepiece",
            "meteor shower",
            "ring system",
            "dark sky",
            "observatory dome",
        ],
        verbs: &[
            "reveals",
            "orbits",
            "outshines",
            "eclipses",
            "tracks",
            "magnifies",
            "crosses",
            "faces",
            "follows",
            "illuminates",
        ],
        adjectives: &[
            "distant", "faint", "bright", "frozen", "ancient", "spinning", "clear", "pale",
            "massive", "quiet",
        ],
    },
    Topic {
        name: "Baking",
        nouns: &[
            "sourdough starter",
            "rye loaf",
            "proving basket",
            "oven stone",
            "pastry case",
            "rolling pin",
            "crust",
            "flour sack",
            "dough hook",
            "cooling rack",
        ],
        verbs: &[
            "rises beside",
            "softens",
            "browns",
            "needs",
            "rests on",
            "outlasts",
            "flavours",
            "crackles under",
            "sticks to",
            "supports",
        ],
        adjectives: &[
            "golden", "tangy", "dense", "airy", "buttery", "warm", "crisp", "floury", "sticky",
            "rustic",
        ],
    },
    Topic {
        name: "River ecology",
        nouns: &[
            "kingfisher",
            "gravel bar",
            "water vole",
            "reed bed",
            "mayfly larva",
            "oxbow lake",
            "alder root",
            "trout pool",
            "floodplain",
            "weir",
        ],
        verbs: &[
            "hides in",
            "reshapes",
            "feeds on",
            "floods",
            "shelters",
            "slows",
            "nourishes",
            "erodes",
            "surrounds",
            "carries",
        ],
        adjectives: &[
            "muddy", "shallow", "swift", "cold", "clear", "winding", "silted", "reedy", "seasonal",
            "quiet",
        ],
    },
    Topic {
        name: "Bicycle repair",
        nouns: &[
            "derailleur",
            "brake cable",
            "inner tube",
            "chain link",
            "spoke key",
            "bottom bracket",
            "tyre lever",
            "hub bearing",
            "saddle clamp",
            "pump valve",
        ],
        verbs: &[
            "tensions",
            "loosens",
            "grinds against",
            "replaces",
            "aligns",
            "slips past",
            "guides",
            "locks",
            "wears down",
            "holds",
        ],
        adjectives: &[
            "rusty", "greased", "bent", "worn", "new", "squeaky", "tight", "loose", "true",
            "cracked",
        ],
    },
    Topic {
        name: "Local history",
        nouns: &[
            "market hall",
            "parish record",
            "mill race",
            "toll road",
            "guild banner",
            "town charter",
            "old quay",
            "stone bridge",
            "almshouse",
            "clock tower",
        ],
        verbs: &[
            "outlived",
            "replaced",
            "overlooked",
            "recorded",
            "funded",
            "guarded",
            "welcomed",
            "divided",
            "named",
            "survived",
        ],
        adjectives: &[
            "medieval",
            "forgotten",
            "restored",
            "crumbling",
            "busy",
            "royal",
            "humble",
            "timbered",
            "famous",
            "walled",
        ],
    },
];

const OPENERS: &[&str] = &[
    "In spring",
    "By late afternoon",
    "Most years",
    "After heavy rain",
    "On quiet mornings",
    "Every autumn",
    "At first",
    "Over time",
    "Some say",
    "In our experience",
    "With time",
    "To be fair",
    "Of course",
];
const LINKS: &[&str] = &[
    "because",
    "while",
    "although",
    "so",
    "until",
    "and then",
    "even though",
    "whenever",
    "and",
    "so that",
    "with the result that",
];

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn clause(rng: &mut Rng, t: &Topic) -> String {
    format!(
        "the {} {} {} the {} {}",
        rng.pick(t.adjectives),
        rng.pick(t.nouns),
        rng.pick(t.verbs),
        rng.pick(t.adjectives),
        rng.pick(t.nouns)
    )
}

/// The people a sentence may speak of: terms of the audit's identity lexicons, so that the
/// demo's audit has mentions to count (and no group is tied to any kind of word more than
/// another: every group goes into the same sentence forms).
const PEOPLE: &[&str] = &[
    "Catholic", "Muslim", "Jewish", "Hindu", "Buddhist", "German", "Turkish", "Chinese", "Indian",
    "Nigerian", "African", "Arab",
];
const KIN: &[&str] = &["women", "men", "mothers", "fathers", "girls", "boys"];

/// One sentence on a topic.
pub fn sentence(rng: &mut Rng, t: &Topic) -> String {
    match rng.below(5) {
        4 => format!(
            "{} {} say that {}.",
            rng.pick(PEOPLE),
            rng.pick(KIN),
            clause(rng, t)
        ),
        0 => format!("{}, {}.", rng.pick(OPENERS), clause(rng, t)),
        1 => capitalise(&format!(
            "{} {} {}.",
            clause(rng, t),
            rng.pick(LINKS),
            clause(rng, t)
        )),
        2 => capitalise(&format!(
            "{}, which is why {}.",
            clause(rng, t),
            clause(rng, t)
        )),
        _ => capitalise(&format!(
            "{}?",
            clause(rng, t).replacen("the ", "does the ", 1)
        )),
    }
}

/// A paragraph of three to six sentences.
pub fn paragraph(rng: &mut Rng, t: &Topic) -> String {
    let n = 3 + rng.below(4);
    (0..n)
        .map(|_| sentence(rng, t))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A title for an article on a topic.
pub fn title(rng: &mut Rng, t: &Topic) -> String {
    format!(
        "{}: the {} {}",
        t.name,
        rng.pick(t.adjectives),
        rng.pick(t.nouns)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_varied() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let pa: Vec<_> = (0..20).map(|_| paragraph(&mut a, &TOPICS[0])).collect();
        let pb: Vec<_> = (0..20).map(|_| paragraph(&mut b, &TOPICS[0])).collect();
        assert_eq!(pa, pb);
        let distinct: std::collections::HashSet<_> = pa.iter().collect();
        assert_eq!(distinct.len(), 20);
        assert!(pa[0].ends_with('.') || pa[0].ends_with('?'));
        assert!(pa[0].chars().next().unwrap().is_uppercase());
    }
}
