//! The floor under the crawler's CPU cost, for scripts/bench_crawl.sh: plain reqwest GETs of
//! every page of the benchmark web (the same client library and one-thread runtime as the
//! crawler, keep-alive, every host at once), with none of the crawler's work — no robots.txt,
//! consent checks, WARC, links or ledger. Prints the pages fetched and this process's CPU time.
//!
//!   bare_fetch PORT HOSTS ARTICLES

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, hosts, articles] = &args[..] else {
        eprintln!("usage: bare_fetch PORT HOSTS ARTICLES");
        std::process::exit(2);
    };
    let (port, hosts, articles): (u16, usize, usize) = (
        port.parse().expect("port"),
        hosts.parse().expect("hosts"),
        articles.parse().expect("articles"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let pages = runtime.block_on(async move {
        let mut builder = reqwest::Client::builder().no_proxy();
        for h in 0..hosts {
            builder = builder.resolve(
                &format!("site{h}.bench.test"),
                ([127, 0, 0, 1], port).into(),
            );
        }
        let client = builder.build().unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for h in 0..hosts {
            let client = client.clone();
            tasks.spawn(async move {
                let mut fetched = 0usize;
                for a in std::iter::once(None).chain((0..articles).map(Some)) {
                    let path = a.map_or("/".to_string(), |a| format!("/articles/{a}"));
                    let url = format!("http://site{h}.bench.test:{port}{path}");
                    let Ok(response) = client.get(&url).send().await else {
                        continue;
                    };
                    if response.bytes().await.is_ok() {
                        fetched += 1;
                    }
                }
                fetched
            });
        }
        let mut total = 0;
        while let Some(n) = tasks.join_next().await {
            total += n.unwrap_or(0);
        }
        total
    });
    println!(
        "{{\"pages\": {pages}, \"seconds\": {:.3}, \"cpu_secs\": {:.3}}}",
        started.elapsed().as_secs_f64(),
        process_cpu_secs()
    );
}

/// User and system CPU seconds of this process, from /proc (USER_HZ = 100).
fn process_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let Some(close) = stat.rfind(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}
