//! Front-end throughput: pest alone, parse (pest + AST), check, and parse + check, over
//! a generated file of 10,000 realistic rules.
//!
//! Run: `cargo bench --bench frontend` (optional: `RULES=N`, `RUNS=N`, `ONLY=pest|parse`).
//! Prints the average rule size and, per phase, the median of the runs (ms, MB/s, rules/s)
//! the fastest run, and the median CPU time of the thread (on a shared machine the last
//! two are the least disturbed by other jobs).

use std::hint::black_box;
use std::time::{Duration, Instant};

use rulec::source::SourceMap;

fn main() {
    let rules = env_usize("RULES", 10_000);
    let runs = env_usize("RUNS", 7).max(5);
    let text = generate(rules, 0x5eed_1234_abcd_ef01);
    let mb = text.len() as f64 / 1e6;
    println!(
        "input: {rules} rules, {mb:.2} MB, {} bytes per rule on average",
        text.len() / rules
    );

    let mut sources = SourceMap::new();
    let id = sources.add("bench.rule", text.clone());
    let file = sources.get(id);

    // Sanity: the generated rules must parse cleanly, or the figures mean nothing.
    let (ast, diags) = rulec::syntax::parse(file);
    assert!(
        diags.is_empty(),
        "generated rules do not parse: {:?}",
        diags.first()
    );
    assert_eq!(ast.items.len(), rules + 1);
    let checked = rulec::check::check(&sources, std::slice::from_ref(&ast));
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    println!(
        "check found {errors} errors, {} warnings; pest pairs: {}",
        checked.diagnostics.len() - errors,
        rulec::syntax::pest_pair_count(&text)
    );
    drop(ast);

    // `ONLY=pest` or `ONLY=parse` times one phase, e.g. under a profiler.
    let only = std::env::var("ONLY").unwrap_or_default();
    let row = |name: &str, t: Timing| {
        let (med, min) = (t.median.as_secs_f64(), t.min.as_secs_f64());
        let cpu = t.cpu.map_or(f64::NAN, |c| c.as_secs_f64());
        println!(
            "{name:<24} {:>9.1} {:>7.1} {:>9.0} {:>7.1} {:>7.1} {:>8.1} {:>7.1}",
            med * 1e3,
            mb / med,
            rules as f64 / med,
            min * 1e3,
            mb / min,
            cpu * 1e3,
            mb / cpu
        );
    };
    println!(
        "{:<24} {:>9} {:>7} {:>9} {:>7} {:>7} {:>8} {:>7}",
        "phase", "median ms", "MB/s", "rules/s", "min ms", "MB/s", "cpu ms", "MB/s"
    );
    let pest = (only != "parse")
        .then(|| median(runs, || black_box(rulec::syntax::pest_pair_count(&text))));
    if let Some(pest) = pest {
        row("pre-scan + pest", pest);
    }
    if only != "pest" {
        let parse = median(runs, || black_box(rulec::syntax::parse(file)));
        row("parse (+ AST)", parse);
        if let Some(pest) = pest {
            // Derived: what building the AST adds to pre-scan + pest.
            row("  AST building (diff.)", parse.minus(pest));
        }
    }
    if !only.is_empty() {
        return;
    }
    let files = vec![rulec::syntax::parse(file).0];
    row(
        "check",
        median(runs, || black_box(rulec::check::check(&sources, &files))),
    );
    let total = median(runs, || {
        let (ast, _) = rulec::syntax::parse(file);
        let checked = black_box(rulec::check::check(&sources, std::slice::from_ref(&ast)));
        (ast, checked)
    });
    row("total (parse + check)", total);
    let mut drops: Vec<Duration> = (0..runs)
        .map(|_| {
            let parsed = rulec::syntax::parse(file);
            let start = Instant::now();
            drop(black_box(parsed));
            start.elapsed()
        })
        .collect();
    drops.sort();
    println!(
        "(freeing the AST afterwards: {:.1} ms median, not counted above)",
        drops[drops.len() / 2].as_secs_f64() * 1e3
    );
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Timings of one phase: median and fastest of the runs.
#[derive(Clone, Copy)]
struct Timing {
    median: Duration,
    min: Duration,
    /// Median CPU time of this thread (Linux `schedstat`), if available: on a machine
    /// shared with other jobs it excludes the time the thread waited for a core.
    cpu: Option<Duration>,
}

impl Timing {
    /// Phase by phase difference (for a derived row).
    fn minus(self, other: Timing) -> Timing {
        Timing {
            median: self.median.saturating_sub(other.median),
            min: self.min.saturating_sub(other.min),
            cpu: self.cpu.zip(other.cpu).map(|(a, b)| a.saturating_sub(b)),
        }
    }
}

/// Runs `f` `runs` times (after one warm-up); the result is dropped outside the timed
/// part.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Timing {
    drop(f());
    let mut wall = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    for _ in 0..runs {
        let cpu_start = thread_cpu_time();
        let start = Instant::now();
        let out = f();
        wall.push(start.elapsed());
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_time()) {
            cpu.push(b.saturating_sub(a));
        }
        drop(out);
    }
    wall.sort();
    cpu.sort();
    Timing {
        median: wall[wall.len() / 2],
        min: wall[0],
        cpu: (cpu.len() == runs).then(|| cpu[cpu.len() / 2]),
    }
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (nanoseconds).
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// A small deterministic generator (xorshift64*), so every run sees the same input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const SCHEMA: &str = r#"schema {
  field amount: number
  field order_id: text
  field vip: bool
  field region: one of ("emea", "amer", "apac")
  tags "Bug", "VIP", "Refund", "Escalated", "Billing"
  secret API_TOKEN
  secret SIGNING_KEY
}
"#;

const TRIGGERS: &[&str] = &["created", "updated", "closed", "reopened", "tagged"];
const TAGS: &[&str] = &["Bug", "VIP", "Refund", "Escalated", "Billing"];
const METHODS: &[&str] = &["post", "put", "patch"];

/// Body members that read paths available under every trigger above.
const MEMBERS: &[&str] = &[
    r#""case_id": "{{case.id}}""#,
    r#""human_id": "{{case.human_id}}""#,
    r#""tenant": "{{tenant.slug}}""#,
    r#""status": "{{case.status}}""#,
    r#""priority": "{{case.priority ?? 'normal'}}""#,
    r#""subject": "{{case.subject ?? ''}}""#,
    r#""vip": {{case.custom_fields.vip ?? false}}"#,
    r#""created_at": "{{case.created_at}}""#,
    r#""updated_at": "{{case.updated_at}}""#,
    r#""contact_id": "{{contact.id}}""#,
    r#""email": "{{contact.email ?? ''}}""#,
    r#""amount": {{case.custom_fields.amount ?? 0}}"#,
    r#""order": "order-{{case.custom_fields.order_id ?? 'none'}}""#,
    r#""level": "{{contact.customer_level ?? 'standard'}}""#,
    r#""source": "atender""#,
    r#""version": 2"#,
    r#""event": "{{event.type}}""#,
    r#""link": "{{conversation.url ?? ''}}""#,
];

const CONDITIONS: &[&str] = &[
    r#"case.tags contains "TAG" and case.priority == "low""#,
    r#"case.subject is not empty and not case.tags contains "TAG""#,
    r#"case.priority in ["high", "urgent"] or case.tags contains "TAG""#,
    r#"case.custom_fields.amount > 100 and case.custom_fields.region == "emea""#,
    r#"(case.status == "open" or case.status == "pending") and contact.email ends with ".com""#,
];

fn generate(rules: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(rules * 1000 + SCHEMA.len());
    out.push_str(SCHEMA);
    for i in 0..rules {
        rule(&mut rng, i, &mut out);
    }
    out
}

fn rule(rng: &mut Rng, i: usize, out: &mut String) {
    use std::fmt::Write;
    let _ = writeln!(out, "\nrule \"sync {i}\" {{");
    let _ = writeln!(out, "  when case.{}", rng.pick(TRIGGERS));
    let _ = writeln!(out, "  throttle {} per minute", 10 + rng.below(90));
    if rng.below(2) == 0 {
        let _ = writeln!(
            out,
            "  throttle per case 1 per {} minutes",
            1 + rng.below(60)
        );
    }
    // Different conditions and tags, so the `else if` branch can be taken.
    let (first, second) = two_different(rng, CONDITIONS.len());
    let (tag1, tag2) = two_different(rng, TAGS.len());
    let cond = CONDITIONS[first].replace("TAG", TAGS[tag1]);
    let _ = writeln!(out, "  if {cond} then {{");
    action(rng, 15, true, out);
    let cond = CONDITIONS[second].replace("TAG", TAGS[tag2]);
    let _ = writeln!(out, "  }} else if {cond} then {{");
    action(rng, 2, false, out);
    out.push_str("  }\n}\n");
}

/// Two different indices below `n` (n ≥ 2).
fn two_different(rng: &mut Rng, n: usize) -> (usize, usize) {
    let a = rng.below(n);
    (a, (a + 1 + rng.below(n - 1)) % n)
}

fn action(rng: &mut Rng, members: usize, full: bool, out: &mut String) {
    use std::fmt::Write;
    let method = rng.pick(METHODS);
    let host = rng.below(50);
    let _ = writeln!(
        out,
        "    {method} \"https://api{host}.example.com/cases/{{{{case.id}}}}\" {{"
    );
    if full {
        out.push_str("      header \"Authorization\" = \"Bearer {{secrets.API_TOKEN}}\"\n");
        out.push_str("      sign hmac-sha256 with secrets.SIGNING_KEY\n");
        let _ = writeln!(out, "      timeout {} seconds", 5 + rng.below(25));
        let _ = writeln!(out, "      retry {} times", 1 + rng.below(8));
    }
    // A full body is written one member per line, as people do; a short one inline.
    let (open, sep, close) = if full {
        ("\n        ", ",\n        ", "\n      }\n    }\n")
    } else {
        (" ", ", ", " }\n    }\n")
    };
    out.push_str("      body {");
    let start = rng.below(MEMBERS.len());
    for m in 0..members {
        out.push_str(if m == 0 { open } else { sep });
        out.push_str(MEMBERS[(start + m) % MEMBERS.len()]);
    }
    out.push_str(close);
}
