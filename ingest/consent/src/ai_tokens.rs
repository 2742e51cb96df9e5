//! The robots.txt user-agent tokens of crawlers that collect web content to train AI models.
//!
//! Why: a site that disallows `GPTBot` or `CCBot` but says nothing about us has still said
//! "not for AI training". [`crate::robots::RobotsTxt::ai_token_refusal`] reads the
//! groups of these tokens as a training refusal (unless the site names our own token).
//!
//! Chosen from the facts in the ai.robots.txt project's list (`shared/data/ai-robots/robots.json`):
//! crawlers whose stated function is training models or collecting datasets for AI. Left out on
//! purpose: assistants and agents fetching a page for one user, AI search indexers, and generic
//! names (`Spider`, `Scrapy`) that would match unrelated software. Matching is case-insensitive,
//! so one spelling per token is enough. Tokens with spaces are kept as the list spells them and
//! matched against the whole user-agent value.

/// AI-training crawler tokens, grouped by operator.
pub const AI_TRAINING_TOKENS: &[&str] = &[
    // OpenAI
    "GPTBot",
    // Anthropic
    "anthropic-ai",
    "ClaudeBot",
    // Common Crawl (an open crawl widely used for model training)
    "CCBot",
    // Google: Gemini / Vertex AI training and product-team data collection
    "Google-Extended",
    "Google-CloudVertexBot",
    "CloudVertexBot",
    "GoogleOther",
    "GoogleOther-Image",
    "GoogleOther-Video",
    // Apple: foundation model training
    "Applebot-Extended",
    // Meta
    "meta-externalagent",
    "FacebookBot",
    // ByteDance
    "Bytespider",
    "TikTokSpider",
    // Cohere
    "cohere-training-data-crawler",
    // Allen Institute for AI (open language models)
    "AI2Bot",
    "Ai2Bot-Dolma",
    // DeepSeek
    "DeepSeekBot",
    // Huawei
    "PanguBot",
    // Zhipu
    "ChatGLM-Spider",
    // Yandex (YandexGPT)
    "YandexAdditional",
    "YandexAdditionalBot",
    // You.com
    "YouBot",
    // LAION and image-dataset tools
    "LAIONDownloader",
    "laion-huggingface-processor",
    "img2dataset",
    "ImagesiftBot",
    "imageSpider",
    // Webz.io / Omgili (crawl data sold, including for AI)
    "Webzio-Extended",
    "omgili",
    "omgilibot",
    // Bright Data
    "Brightbot",
    // Apify and Firecrawl (website content extracted for AI / LLM use)
    "ApifyBot",
    "ApifyWebsiteContentCrawler",
    "FirecrawlAgent",
    // Diffbot
    "Diffbot",
    // Amazon Bedrock (crawls for custom AI applications)
    "bedrockbot",
    // Research institutes training models (ROIS, NICT, SB Intuitions, Poseidon Research)
    "Cotoyogi",
    "ICC-Crawler",
    "SBIntuitionsBot",
    "Poseidon Research Crawler",
    // Companies training or selling data for machine-learning models
    "aiHitBot",
    "Factset_spyderbot",
    "FriendlyCrawler",
    "ISSCyberRiskCrawler",
    "Kangaroo Bot",
    "Linguee Bot",
    "Sidetrade indexer bot",
    "Timpibot",
    "VelenPublicWebCrawler",
    // Listed as AI data scrapers
    "Awario",
    "Datenbank Crawler",
    "Echobot Bot",
    "LCC",
    "MyCentralAIScraperBot",
    "NagetBot",
    "netEstate Imprint Crawler",
    "newsai",
    "WARDBot",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_token_is_in_the_ai_robots_list() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/ai-robots/robots.json");
        let json =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let list: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&json).unwrap();
        for token in AI_TRAINING_TOKENS {
            assert!(
                list.contains_key(*token),
                "{token} is not in {}",
                path.display()
            );
        }
        let lower: HashSet<String> = AI_TRAINING_TOKENS
            .iter()
            .map(|t| t.to_ascii_lowercase())
            .collect();
        assert_eq!(lower.len(), AI_TRAINING_TOKENS.len(), "duplicate token");
        assert!(!lower.contains("*"));
        for must in [
            "GPTBot",
            "CCBot",
            "Google-Extended",
            "anthropic-ai",
            "ClaudeBot",
            "Applebot-Extended",
            "meta-externalagent",
            "Bytespider",
            "cohere-training-data-crawler",
        ] {
            assert!(AI_TRAINING_TOKENS.contains(&must), "{must} missing");
        }
        // Require 40 tokens when the JSON describes at least 40 crawlers as training or
        // collecting data for AI models.
        let training = list
            .values()
            .filter(|v| {
                let text = format!("{} {}", v["function"], v["description"]).to_lowercase();
                ["train", "dataset", "data scraper", "llm"]
                    .iter()
                    .any(|w| text.contains(w))
            })
            .count();
        if training >= 40 {
            assert!(
                AI_TRAINING_TOKENS.len() >= 40,
                "{}",
                AI_TRAINING_TOKENS.len()
            );
        }
    }
}
